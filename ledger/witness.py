"""Sending the witness text to the outside witness on a schedule: a configured HTTPS endpoint, and/or mail to the
supervising office. A witness holding yesterday's checkpoint can prove today's ledger was not rolled back even by
someone who controls both the database and the store. Every push is kept, failed or not."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from ledger.checkpoints import witness_text
from ledger.events import record_event
from ledger.models import Checkpoint, WitnessDelivery

TIMEOUT_SECONDS = 30


def push() -> list[WitnessDelivery]:
    """Send the current witness text to every configured witness; returns the deliveries (none when none is set)."""
    if not settings.LEDGER_WITNESS_URL and not settings.LEDGER_WITNESS_MAIL:
        return []
    text = witness_text()
    last = Checkpoint.objects.order_by("-id").values_list("size", flat=True).first()
    attempts = []
    if settings.LEDGER_WITNESS_URL:
        attempts.append(("https", settings.LEDGER_WITNESS_URL, lambda: _post(settings.LEDGER_WITNESS_URL, text)))
    if settings.LEDGER_WITNESS_MAIL:
        recipients = list(settings.LEDGER_WITNESS_MAIL)
        attempts.append(("mail", ", ".join(recipients), lambda: _mail(recipients, text)))
    deliveries = []
    for channel, target, send in attempts:
        try:
            send()
            error = ""
        except Exception as failure:  # noqa: BLE001 — a failed push is recorded and retried next time
            error = f"{failure.__class__.__name__}: {failure}"[:2000]
        with transaction.atomic():
            delivery = WitnessDelivery.objects.create(channel=channel, target=target[:300], checkpoint_size=last,
                                                      ok=not error, error=error)
            record_event("ledger.witness", obj=delivery, detail={"channel": channel, "target": target,
                                                                 "size": last, "ok": not error, "error": error[:500]})
        deliveries.append(delivery)
    return deliveries


def _post(url: str, text: str) -> None:
    context = ssl.create_default_context(cafile=settings.LEDGER_WITNESS_CA_FILE or None)
    request = urllib.request.Request(url, data=text.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "text/plain; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, response.reason, response.headers, None)


def _mail(recipients: list[str], text: str) -> None:
    sent = send_mail(_("[Lawtrace] witness text of the event record (%(origin)s)") % {"origin": settings.LEDGER_ORIGIN},
                     text, None, recipients, fail_silently=False)
    if not sent:
        raise RuntimeError("the mail server accepted nothing")
