"""A URL that fails, to see the 500 page an installation shows with debug off."""

from django.urls import path

from authz.routes import SIGNED_IN, route


@route(SIGNED_IN)
def broken(request):
    raise RuntimeError("a fault in a page")


urlpatterns = [path("broken/", broken)]
