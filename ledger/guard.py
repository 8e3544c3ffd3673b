"""When the ledger's stored state was changed behind the application's back, it stops: nothing more is appended or
signed on top of a forged row, every change is refused in plain Chinese, and the audit administrator is told."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)
_ALERT_EVERY_SECONDS = 3600
_last_alert = 0.0


class LedgerBlocked(Exception):
    """The ledger refuses to append or sign; ``reason`` says why, for people."""

    def __init__(self, reason: str, where: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where

    @classmethod
    def row_past_head(cls, seq, size) -> LedgerBlocked:
        return cls(_("The event record holds a row (number %(seq)s) beyond its head (%(size)s events): it was "
                     "written behind the application's back.") % {"seq": seq, "size": size}, f"#{seq}")

    @classmethod
    def damaged_head(cls) -> LedgerBlocked:
        return cls(_("The event record's head row (its size and right edge) was changed behind the application's "
                     "back."), "head")

    @classmethod
    def not_consistent(cls, detail: str) -> LedgerBlocked:
        return cls(_("The events no longer extend the last signed checkpoint (%(detail)s): the history was "
                     "rewritten, so nothing more is signed.") % {"detail": detail}, "checkpoint")

    def refusal(self) -> str:
        return _("To protect the evidence, the system accepts no changes until the audit administrator has looked "
                 "into this: %(reason)s") % {"reason": self.reason}


def intrusion() -> str | None:
    """Why the ledger is blocked now, read live (one indexed query), or None; for the auditor's pages."""
    from ledger.models import Event, LedgerHead

    try:
        head = LedgerHead.objects.filter(pk=1).values_list("size", "edge").first()
        size = head[0] if head else 0
        if not isinstance(size, int):
            return LedgerBlocked.damaged_head().reason
        past = Event.objects.filter(seq__gte=size).order_by("seq").values_list("seq", flat=True).first()
    except Exception:  # noqa: BLE001 — a head unreadable by the ORM is itself the finding
        return LedgerBlocked.damaged_head().reason
    return LedgerBlocked.row_past_head(past, size).reason if past is not None else None


def alert(blocked: LedgerBlocked) -> None:
    """Log always; mail the audit administrators at most once an hour per process (every write would repeat it)."""
    global _last_alert
    log.error("ledger blocked: %s", blocked.reason)
    if not settings.EMAIL_HOST or time.monotonic() - _last_alert < _ALERT_EVERY_SECONDS and _last_alert:
        return
    _last_alert = time.monotonic()
    try:
        from django.core.mail import send_mail

        from authz.capabilities import holders
        from org.models import User

        # Read before anything failed in this transaction, so the query still runs even though it will roll back.
        # Those who audit the ledger are told (``ledger/permissions.py``).
        recipients = sorted(set(User.objects.filter(is_active=True, role_grants__role__in=holders("ledger.audit"))
                                .exclude(email="").values_list("email", flat=True)))
        if recipients:
            send_mail(_("[Lawtrace] The event record was changed behind the application's back"),
                      blocked.refusal(), None, recipients, fail_silently=True)
    except Exception:  # noqa: BLE001 — the alert must never hide the refusal it reports
        log.exception("could not mail the ledger alert")
