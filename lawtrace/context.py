from django.conf import settings
from django.http import HttpRequest

from authz.capabilities import held_by


def navigation(request: HttpRequest) -> dict:
    """The capabilities the user holds, so pages offer only the links and buttons the user would not be refused at."""
    user = getattr(request, "user", None)
    return {"site_title": settings.SITE_TITLE, "capabilities": held_by(user) if user is not None else frozenset()}
