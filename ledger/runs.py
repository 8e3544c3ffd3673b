"""Verification runs as the audit administrator sees them: a run whose worker went quiet is settled as failed with
the reason, so no run shows "running" for ever."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.models import VerificationRun


def settle_stale(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    quiet_since = now - dt.timedelta(minutes=settings.LEDGER_VERIFY_STALE_MINUTES)
    stale = VerificationRun.objects.filter(state__in=[VerificationRun.State.QUEUED, VerificationRun.State.RUNNING]) \
        .filter(Q(heartbeat_at__lt=quiet_since) | Q(heartbeat_at__isnull=True, requested_at__lt=quiet_since))
    message = _("No background worker finished this verification (none running, or it stopped); no result was "
                "reached. Start a new verification.")
    return stale.update(state=VerificationRun.State.FAILED, finished_at=now, problems=[
        {"kind": "error", "label": _("verification error"), "where": "", "ref": "", "message": message}])
