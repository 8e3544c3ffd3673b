"""Notices of what falls due (000/2/15, 001/3/9): expiries within 30 days and disc read checks, by e-mail to each
agency's archivists when SMTP is configured. The dashboard shows the same counts to everyone concerned."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from authz.capabilities import holders
from ledger.events import record_event
from org.models import Agency, User
from retention.disc_services import checks_due
from retention.models import Schedule


def due_counts(agency: Agency, today: dt.date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    expiring = Schedule.objects.filter(agency=agency, permanent=False, record__purged_at__isnull=True,
                                       retain_until__gte=today, retain_until__lte=today + dt.timedelta(days=30))
    return expiring.count(), checks_due(agency.pk, today).count()


def send_notices(today: dt.date | None = None) -> int:
    """One message per agency with something due; returns how many were sent (none without SMTP)."""
    if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend") and not settings.EMAIL_HOST:
        return 0  # SMTP not configured: the dashboard alone tells
    sent = 0
    for agency in Agency.objects.all():
        expiring, checks = due_counts(agency, today)
        keepers = holders("retention.propose_purge", agency) | holders("disc.make", agency)
        recipients = list(User.objects.filter(agency=agency, is_active=True, role_grants__role__in=keepers)
                          .exclude(email="").values_list("email", flat=True).distinct())
        if not (expiring or checks) or not recipients:
            continue
        body = _("%(agency)s: %(expiring)d records reach the end of their retention period within 30 days; "
                 "%(checks)d disc copies are due for a read check.") % {
                     "agency": agency.name, "expiring": expiring, "checks": checks}
        send_mail(_("Lawtrace: retention notices"), body, settings.DEFAULT_FROM_EMAIL, recipients)
        with transaction.atomic():
            record_event("retention.notice", agency_code=agency.code,
                         detail={"expiring": expiring, "read_checks": checks, "to": recipients})
        sent += 1
    return sent
