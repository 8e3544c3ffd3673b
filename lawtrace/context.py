from django.conf import settings
from django.http import HttpRequest

from authz.capabilities import held_by


def navigation(request: HttpRequest) -> dict:
    """The user's roles and which sections to offer: a link the user would only be refused at is not shown."""
    from access.services import REGISTER_ROLES
    from authz.roles import STAFF as BUSINESS_ROLES
    from supervision.reports import READERS

    user = getattr(request, "user", None)
    roles = user.role_set if user is not None and user.is_authenticated else frozenset()
    offered = {"records": bool(roles & BUSINESS_ROLES), "access_register": bool(roles & REGISTER_ROLES),
               "supervision_reports": bool(roles & READERS)}
    return {"site_title": settings.SITE_TITLE, "user_roles": roles, "offered": offered,
            "capabilities": held_by(user) if user is not None else frozenset()}
