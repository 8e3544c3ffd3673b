"""Ready-made audits of the event log for the audit administrator: refused attempts, reads of marked records, work
outside working hours, and one account viewing or copying in bulk.

The first three narrow the search (``ledger.search``) and page like it. The last counts reads and copies per account
and day over a period and lists those above a threshold. Which records are marked (state secret, commercial secret,
personal privacy: 000/1/10) is known to the apps that mark them: an app's ``audit_marks`` module offers
``MARKED = {model label: function returning the marked rows}`` and is found by autodiscovery, so the ledger imports
no app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from ledger.models import Event

READS = ("record.view", "record.stream", "evidence.view")
COPIES = ("package.request", "package.download", "package.export", "retention.disc_download", "report.export",
          "events.export")

AUDITS = {
    "refused": pgettext_lazy("audit", "refused attempts"),
    "marked": pgettext_lazy("audit", "reads of marked records"),
    "after_hours": pgettext_lazy("audit", "work outside working hours"),
    "bulk": pgettext_lazy("audit", "bulk viewing or copying by one account"),
}
EXPLAINED = {
    "refused": gettext_lazy("Every attempt the system refused: a page or action the role does not allow, a wrong "
                            "password or code, a rule that stopped a change."),
    "marked": gettext_lazy("Views, plays and copies of records marked state secret, commercial secret or personal "
                           "privacy, or belonging to a case so marked (000/1/10)."),
    "after_hours": gettext_lazy("What people did on weekends or outside working hours (%(hours)s). Statutory "
                                "holidays and working weekends are not known to the system."),
    "bulk": gettext_lazy("Accounts that viewed or copied more than %(n)d records or files on one day."),
}


def marked_sources() -> dict[str, Callable[[], QuerySet]]:
    found: dict[str, Callable[[], QuerySet]] = {}
    for module in _audit_mark_modules():
        found.update(getattr(module, "MARKED", {}))
    return found


def _audit_mark_modules() -> list:
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    names = [f"{config.name}.audit_marks" for config in apps.get_app_configs()]
    return [import_module(name) for name in names if find_spec(name) is not None]


def narrowed(kind: str, events: QuerySet[Event]) -> QuerySet[Event]:
    """The search's selection narrowed to one of the audits that lists events."""
    if kind == "refused":
        return events.filter(result=Event.Result.DENIED)
    if kind == "marked":
        condition = Q(pk__in=[])
        for label, marked in marked_sources().items():
            keys = marked().annotate(key=Cast("pk", output_field=CharField())).values("key")
            condition |= Q(object_type=label, object_id__in=keys)
        return events.filter(verb__in=(*READS, *COPIES)).filter(condition)
    if kind == "after_hours":
        start, end = settings.WORKING_HOURS
        outside = (Q(occurred_at__hour__lt=start) | Q(occurred_at__hour__gte=end)
                   | Q(occurred_at__week_day__in=(1, 7)))  # Sunday is 1 and Saturday 7
        return events.filter(outside, actor__isnull=False)
    return events


def working_hours_text() -> str:
    start, end = settings.WORKING_HOURS
    return f"{start:02d}:00–{end:02d}:00"


@dataclass
class Heavy:
    actor_id: int | None
    actor_label: str
    day: dt.date
    reads: int
    copies: int
    agency_code: str


def bulk(events: QuerySet[Event], *, since: dt.datetime | None, until: dt.datetime | None,
         threshold: int | None = None) -> list[Heavy]:
    """Accounts and days with more reads and copies than the threshold, heaviest first; the period defaults to the
    last 30 days (the grouping reads every event of the period, so it is kept to one)."""
    threshold = threshold if threshold is not None else settings.BULK_READS_PER_DAY
    until = until or timezone.now()
    since = since or until - dt.timedelta(days=30)
    tz: Any = timezone.get_current_timezone()
    grouped = (events.filter(verb__in=(*READS, *COPIES), occurred_at__gte=since, occurred_at__lt=until,
                             actor__isnull=False)
               .annotate(day=TruncDate("occurred_at", tzinfo=tz))
               .values("actor_id", "actor_label", "agency_code", "day")
               .annotate(reads=Count("seq", filter=Q(verb__in=READS)), copies=Count("seq", filter=Q(verb__in=COPIES)),
                         total=Count("seq"))
               .filter(total__gt=threshold).order_by("-total", "day"))
    return [Heavy(row["actor_id"], row["actor_label"], row["day"], row["reads"], row["copies"], row["agency_code"])
            for row in grouped[:500]]
