"""The request a page sees once its route declaration has let it through: a signed-in account of this system."""

from __future__ import annotations

from django.http import HttpRequest

from org.models import User


class SignedInRequest(HttpRequest):
    # The route declaration refused anonymous visitors before the page ran.
    user: User
