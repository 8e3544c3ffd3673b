from django.conf import settings
from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    roles = user.role_set if user is not None and user.is_authenticated else frozenset()
    return {"site_title": settings.SITE_TITLE, "user_roles": roles}
