"""What stands between a correct password and the pages: the second factor, a handed-out password to replace, a
second factor to set up, and the session's absolute lifetime.

The idle timeout is Django's ``SESSION_COOKIE_AGE``, renewed here at most every ``SESSION_RENEW_SECONDS``; a session
also ends this many hours after its login however busy it is (``SESSION_MAX_AGE_SECONDS``), so a stolen session
cookie does not live forever.
The steps run in this order: the second factor of an enrolled account first (a handed-out password alone never
opens the account), then the handed-out password is replaced, then a required second factor is set up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from org.models import User

STARTED = "lawtrace_started_at"
RENEWED = "lawtrace_renewed_at"
MFA_STATE = "lawtrace_mfa"
TO_VERIFY, VERIFIED, WITHOUT = "verify", "verified", "without"
# Reachable at every step: the way out, static files, the health check and the metrics (monitoring).
ALWAYS = ("/static/", "/healthz", "/metrics", "/accounts/logout/", "/accounts/login/")


def signed_in(request: HttpRequest, user) -> None:
    """At login: when the session began, and whether the account must still give its second factor."""
    from org import mfa

    request.session[STARTED] = request.session[RENEWED] = int(time.time())
    request.session[MFA_STATE] = TO_VERIFY if mfa.authenticator(user) is not None else WITHOUT


def second_factor_given(request: HttpRequest) -> None:
    request.session[MFA_STATE] = VERIFIED


def next_step(request: HttpRequest) -> str | None:
    """The URL name of the step the signed-in account must take before anything else, or None."""
    from org import mfa

    user = cast("User", request.user)  # the middleware asks only for signed-in accounts
    state = request.session.get(MFA_STATE)
    if state is None:  # a session from before the gate: judged as a fresh login would be
        state = TO_VERIFY if mfa.authenticator(user) is not None else WITHOUT
        request.session[MFA_STATE] = state
    if state == TO_VERIFY:
        return "mfa_verify"
    if user.must_change_password:
        return "password_change"
    if state == WITHOUT and mfa.required_for(user):
        return "mfa_enrol"
    return None


class AccountGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(ALWAYS):
            return self.get_response(request)
        now = int(time.time())
        if now - request.session.get(RENEWED, 0) >= settings.SESSION_RENEW_SECONDS:
            request.session[RENEWED] = now  # a changed session is saved, and its expiry pushed forward
        started = request.session.setdefault(STARTED, now)
        if time.time() - started > settings.SESSION_MAX_AGE_SECONDS:
            logout(request)
            messages.info(request, _("Your session reached its longest allowed time; please log in again."))
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        step = next_step(request)
        if step is not None and request.path != reverse(step):
            wanted = request.get_full_path()
            return redirect(f"{reverse(step)}?{urlencode({'next': wanted})}" if request.method == "GET"
                            else reverse(step))
        return self.get_response(request)
