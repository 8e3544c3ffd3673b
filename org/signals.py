"""Logins, logouts and failed logins are events like any other; a login also opens the gate's steps (``org.gate``)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from ledger.events import RequestContext, record_denial, record_event


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    from org import gate

    if request is not None and hasattr(request, "session"):
        gate.signed_in(request, user)
    with transaction.atomic():
        record_event("login", actor=user, obj=user, context=RequestContext.from_request(request))


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        with transaction.atomic():
            record_event("logout", actor=user, obj=user, context=RequestContext.from_request(request))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    record_denial("login.failed", actor_label=username, context=RequestContext.from_request(request),
                  detail={"username": username})
