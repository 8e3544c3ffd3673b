"""Every query for findings and interruption notes starts here, scoped to what the user may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from authz.capabilities import can
from cases.models import Activity
from compliance.labels import RULES
from compliance.models import ActivityStatus, Finding, InterruptionNote
from org.models import User


def sees_agency(user: User) -> bool:
    return can(user, "compliance.oversee")


def _my_activities(user: User) -> QuerySet:
    return Activity.objects.restrict(user, "explain").values("pk")


def visible_findings(user: User) -> QuerySet[Finding]:
    return Finding.objects.restrict(user)


def my_open_findings(user: User) -> QuerySet[Finding]:
    """Open findings on the user's own clips or activities, whatever else their roles let them see."""
    return visible_findings(user).filter(closed_at=None).filter(
        Q(officer=user) | Q(activity__in=_my_activities(user)))


def visible_notes(user: User) -> QuerySet[InterruptionNote]:
    return InterruptionNote.objects.restrict(user)


def open_findings_for(user: User, activity_id: int) -> QuerySet[Finding]:
    return visible_findings(user).filter(activity_id=activity_id, closed_at=None).order_by("severity", "opened_at")


def filter_findings(findings: QuerySet[Finding], params) -> QuerySet[Finding]:
    state = params.get("state", "open")
    if state == "open":
        findings = findings.filter(closed_at=None)
    elif state == "closed":
        findings = findings.filter(closed_at__isnull=False)
    for name in ("rule", "severity"):
        if value := params.get(name):
            findings = findings.filter(**{name: value})
    for name in ("unit", "officer", "activity"):
        if (value := params.get(name, "")).isdigit():
            findings = findings.filter(**{f"{name}_id": int(value)})
    if category := params.get("category"):
        findings = findings.filter(activity__compliance__category=category)
    if month := params.get("month", ""):
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            first = None
        if first is not None:
            findings = findings.filter(activity__compliance__month=first)
    return findings


def _statuses(user: User, since: dt.date | None) -> QuerySet[ActivityStatus]:
    rows = ActivityStatus.objects.restrict(user).filter(required=True)
    return rows.filter(month__gte=since) if since else rows


def rates(user: User, by: str, since: dt.date | None = None) -> list[dict]:
    """Required activities and how many were fully compliant, grouped by unit, officer, category or month."""
    column = {"unit": "unit", "officer": "officer", "category": "category", "month": "month"}[by]
    extra = {"unit": ["unit__name"], "officer": ["officer__full_name", "officer__username"]}.get(by, [])
    rows = (_statuses(user, since).values(column, *extra)
            .annotate(total=Count("pk"), compliant=Count("pk", filter=Q(compliant=True)),
                      findings=Coalesce(Sum("open_findings"), 0))
            .order_by(column))
    result = []
    for row in rows:
        row = dict(row)
        row["rate"] = round(100 * row["compliant"] / row["total"], 1) if row["total"] else None
        result.append(row)
    return result


def findings_by_rule(user: User) -> list[dict]:
    return list(visible_findings(user).filter(closed_at=None).values("rule", "severity")
                .annotate(n=Count("pk")).order_by("-n"))


def notes_waiting(user: User) -> QuerySet[InterruptionNote]:
    return visible_notes(user).filter(state=InterruptionNote.State.SUBMITTED)


def open_findings_on_case(case_id: int) -> QuerySet[Finding]:
    """Open findings on the activities of a case (the decision gate reads these; no user scope)."""
    return Finding.objects.filter(activity__case_id=case_id, closed_at=None).select_related("activity")


def findings_opened(user: User, start, end) -> list[dict]:
    """Findings opened in [start, end) by rule: how many, and how many are still open."""
    rows = (visible_findings(user).filter(opened_at__gte=start, opened_at__lt=end).values("rule")
            .annotate(opened=Count("pk"), still_open=Count("pk", filter=Q(closed_at=None))).order_by("-opened"))
    return [{**row, "label": str(RULES.get(row["rule"], row["rule"]))} for row in rows]


def findings_per_officer(user: User, start, end) -> dict[int, int]:
    rows = (visible_findings(user).filter(opened_at__gte=start, opened_at__lt=end, officer__isnull=False)
            .values("officer").annotate(n=Count("pk")))
    return {row["officer"]: row["n"] for row in rows}
