"""Every query for evidence records starts here, scoped by the authorization registry (``evidence.permissions`` and
the apps that add to it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from authz.roles import staff_agency
from evidence import classify
from evidence.models import Record
from org.models import User
from policy import current
from policy.vocabulary import RecordKind


def visible_records(user: User, action: str = "view") -> QuerySet[Record]:
    """Records the user may see (``"view"``), play inside the application (``"play"``), copy out (``"copy"``),
    burn to disc (``"burn"``) or classify (``"classify"``)."""
    return Record.objects.restrict(user, action)


def with_listing_relations(records: QuerySet[Record]) -> QuerySet[Record]:
    return records.select_related("blob", "officer", "device", "case", "activity", "unit")


def search_records(records: QuerySet[Record], text: str) -> QuerySet[Record]:
    text = text.strip()
    if not text:
        return records
    condition = (Q(original_name__icontains=text) | Q(party__icontains=text) | Q(case__number__icontains=text)
                 | Q(officer__full_name__icontains=text) | Q(device__serial__icontains=text))
    if len(text) >= 8 and all(c in "0123456789abcdefABCDEF" for c in text):
        condition |= Q(blob__sha256__startswith=text.lower()) | Q(blob__sm3__startswith=text.lower())
    return records.filter(condition)


def recorded_by(records: QuerySet[Record], *, officer=None, device=None, start=None, end=None) -> QuerySet[Record]:
    """Records narrowed to one officer, one device and a recording period (local days, both included)."""
    import datetime as dt

    from django.utils import timezone

    if officer is not None:
        records = records.filter(officer=officer)
    if device is not None:
        records = records.filter(device=device)
    if start is not None:
        records = records.filter(recorded_start__gte=timezone.make_aware(dt.datetime.combine(start, dt.time.min)))
    if end is not None:
        after = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
        records = records.filter(recorded_start__lt=after)
    return records


WORKLISTS = ("unlinked", "missing", "late", "unplayable", "clock")
# Files kept but read by no decoder, and records filed before that was told apart by content.
UNREADABLE = Q(kind=RecordKind.UNREADABLE) | Q(playable=False)


def worklist(user: User, name: str) -> QuerySet[Record]:
    """Records that need someone's attention, by reason."""
    records = visible_records(user)
    agency = staff_agency(user)
    if name == "unlinked":
        return records.filter(link_state__in=[Record.LinkState.UNMATCHED, Record.LinkState.AMBIGUOUS])
    if name == "missing" and agency is not None:
        fields = classify.classification_fields(current.in_force(agency))
        return records.filter(classify.missing_condition(fields))
    if name == "late":
        return records.filter(late=True)
    if name == "unplayable":
        return records.filter(UNREADABLE)
    if name == "clock":
        return records.filter(time_conflict_seconds__isnull=False)
    return records.none()


@dataclass(frozen=True)
class Tally:
    """A worklist's count as shown: exact, or "约 N" where counting exactly would walk too many rows."""

    value: int
    approximate: bool = False

    def __str__(self) -> str:
        return _("about %(count)s") % {"count": self.value} if self.approximate else str(self.value)

    def __bool__(self) -> bool:
        return self.value > 0


def _worklist_conditions(agency) -> dict[str, Q]:
    """Each worklist's condition, written as the partial indexes of ``Record`` state them (evidence/models.py), so
    the planner starts each count from its index rather than from every record of the agency."""
    return {
        "unlinked": Q(link_state__in=[Record.LinkState.UNMATCHED, Record.LinkState.AMBIGUOUS]),
        "missing": classify.missing_condition(classify.classification_fields(current.in_force(agency))),
        "late": Q(late=True),
        "unplayable": UNREADABLE,
        "clock": Q(time_conflict_seconds__isnull=False),
    }


def worklist_counts(user: User, *, mine: bool = False) -> dict[str, Tally]:
    """How many records are on each worklist: one bounded count each (issue 27).

    Each count starts from the index of its condition, visibility applied as the scope's subqueries
    (``visible_records``), and stops after ``WORKLIST_EXACT_COUNT`` + 1 rows: up to that it is exact. A longer
    worklist is counted in full at most once every ``WORKLIST_ESTIMATE_SECONDS`` per person and shown as "约 N"
    (the number is that old at most); a single count of all of them walked every visible record (~470 ms at a
    million records)."""
    agency = staff_agency(user)
    if agency is None:
        return {name: Tally(0) for name in WORKLISTS}
    records = visible_records(user)
    if mine:
        records = records.filter(officer=user)
    exact_up_to = settings.WORKLIST_EXACT_COUNT
    counts = {}
    for name, condition in _worklist_conditions(agency).items():
        matching = records.filter(condition).order_by()
        found = matching.values("pk")[:exact_up_to + 1].count()
        if found <= exact_up_to:
            counts[name] = Tally(found)
            continue
        key = f"worklist:{agency.pk}:{user.pk}:{int(mine)}:{name}"
        value = cache.get(key)
        if value is None:
            value = matching.count()
            cache.set(key, value, settings.WORKLIST_ESTIMATE_SECONDS)
        counts[name] = Tally(value, approximate=True)
    return counts


def fixity_failures(user: User) -> QuerySet[Record]:
    """Records whose stored original, or a derivative shown in its place, failed its last fixity check."""
    from evidence.models import Derivative

    # Started from the few failed objects (the partial index on Blob.fixity_ok): the ids of their records in one
    # UNION subquery, which the planner reads first and joins by primary key. Two conditions joined by OR instead
    # made SQLite walk every record of the agency (over a second at 200,000 records).
    failed = (Record.objects.filter(blob__fixity_ok=False).order_by().values("pk")
              .union(Derivative.objects.filter(blob__fixity_ok=False).order_by().values("record_id")))
    broken = visible_records(user).filter(pk__in=failed)
    return broken.select_related("blob").order_by("-blob__fixity_checked_at")


CLIP_FIELDS = ("id", "activity_id", "kind", "recorded_start", "recorded_end", "clock_skew_seconds", "officer_id",
               "device_id", "late", "deadline_cite", "time_conflict_seconds")


def clip_rows(activity_ids: list[int]) -> list[dict]:
    """The records linked to these activities, as plain rows for the compliance engine (no user scope: a job).

    A file no decoder could read is no recording: it is left out, so it never counts as coverage. A record whose
    time sources disagree carries the two values in ``time_disagreement``."""
    from evidence.timesources import disagreement_params
    from lawtrace import rawrows

    records = (Record.objects.filter(activity_id__in=activity_ids, playable=True)
               .exclude(kind=RecordKind.UNREADABLE).order_by("recorded_start", "id"))
    rows = rawrows.values(records, CLIP_FIELDS, times=("recorded_start", "recorded_end"), flags=("late",))
    disagreeing = [row["id"] for row in rows if row["time_conflict_seconds"] is not None]
    conflicting = {row["id"]: row for row in Record.objects.filter(pk__in=disagreeing).values(
        "id", "time_sources", "recorded_time_source", "recorded_start", "recorded_end")} if disagreeing else {}
    for row in rows:
        found = conflicting.get(row["id"])
        row["time_disagreement"] = disagreement_params(
            found["time_sources"], found["recorded_time_source"], found["recorded_start"],
            found["recorded_end"]) if found else None
    return rows


def activity_of_record(record_id: int) -> int | None:
    return Record.objects.filter(pk=record_id).values_list("activity_id", flat=True).first()


def activities_recorded_by_device(device_id: int, start, end) -> list[int]:
    return list(Record.objects.filter(device_id=device_id, activity__isnull=False, recorded_start__lte=end,
                                      recorded_end__gte=start).values_list("activity_id", flat=True).distinct())


def device_recordings(device_ids: list[int], start, end) -> list[tuple[int, object, object, str]]:
    """(device, start, end, kind) of every record made by these devices in a period, for the usage ledger."""
    return list(Record.objects.filter(device_id__in=device_ids, recorded_start__gte=start, recorded_start__lte=end)
                .values_list("device_id", "recorded_start", "recorded_end", "kind"))


def case_records(case_id: int) -> list[Record]:
    """Every record of a case with what a package needs (operators' commands: no user scope)."""
    return list(Record.objects.filter(case_id=case_id).select_related("blob", "device", "officer", "unit", "case")
                .order_by("recorded_start", "pk"))


RETENTION_FIELDS = ("id", "agency_id", "agency__code", "pack_version", "activity__stage", "kind", "usage",
                    "case_id", "recorded_start",
                    "stored_at", "case__state", "case__archived_on", "case__procedure", "case__category",
                    "case__major_penalty", "case__major_social_impact", "case__complex_case", "case__hearing",
                    "case__compulsory_execution", "purged_at")


def retention_rows(record_ids) -> list[dict]:
    """What retention rules look at, for each record and its case (a job: no user scope)."""
    return list(Record.objects.filter(pk__in=record_ids).values(*RETENTION_FIELDS))


def case_record_ids(case_id: int) -> list[int]:
    return list(Record.objects.filter(case_id=case_id).values_list("pk", flat=True))


def record_ids_after(last: int, limit: int) -> list[int]:
    """The next ``limit`` ids of records with content, after ``last``, for jobs that walk every record in batches."""
    return list(Record.objects.filter(pk__gt=last, purged_at__isnull=True).order_by("pk")
                .values_list("pk", flat=True)[:limit])


def ingest_summary(user: User, start, end) -> dict:
    """Records stored in [start, end) that the user may list: how many, how many late, and by kind."""
    from django.db.models import Count

    stored = visible_records(user).filter(stored_at__gte=start, stored_at__lt=end)
    kinds = dict(Record._meta.get_field("kind").choices)
    by_kind = [(str(kinds.get(row["kind"], row["kind"])), row["n"])
               for row in stored.values("kind").annotate(n=Count("pk")).order_by("kind")]
    return {"total": stored.count(), "late": stored.filter(late=True).count(), "by_kind": by_kind}


def unlinked_near(user: User, activity) -> list[Record]:
    """Records the user may file that no activity claims, made by the activity's officers within the link tolerance
    of its (actual, else planned) time: clips that arrived before the activity was recorded."""
    start = activity.actual_start or activity.planned_start
    end = activity.actual_end or activity.planned_end
    if start is None or end is None:
        return []
    tolerance = dt.timedelta(minutes=settings.EVIDENCE_LINK_TOLERANCE_MINUTES)
    records = visible_records(user, "classify").filter(
        activity__isnull=True, officer_id__in=activity.participants.values("user_id"),
        recorded_start__lte=end + tolerance, recorded_end__gte=start - tolerance,
    ).exclude(kind=RecordKind.DOCUMENT)
    return list(records.select_related("officer").order_by("recorded_start", "pk")[:50])
