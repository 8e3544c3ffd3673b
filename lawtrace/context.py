from django.conf import settings
from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    """The user's roles and which sections to offer: a link the user would only be refused at is not shown."""
    from access.services import REGISTER_ROLES
    from org.roles import BUSINESS_ROLES
    from policy.activation_views import READERS as PACK_READERS
    from supervision.reports import READERS

    user = getattr(request, "user", None)
    roles = user.role_set if user is not None and user.is_authenticated else frozenset()
    offered = {"records": bool(roles & BUSINESS_ROLES), "access_register": bool(roles & REGISTER_ROLES),
               "supervision_reports": bool(roles & READERS), "pack_versions": bool(roles & PACK_READERS)}
    return {"site_title": settings.SITE_TITLE, "user_roles": roles, "offered": offered}
