"""Every query for cases and activities starts here, scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cases.models import Activity, Case
from org.models import User
from org.roles import Role
from org.visibility import record_agency

EDITOR_ROLES = frozenset({Role.OFFICER, Role.ARCHIVIST, Role.HEAD})


def visible_cases(user: User) -> QuerySet[Case]:
    agency = record_agency(user)
    if agency is None:
        return Case.objects.none()
    return Case.objects.filter(agency=agency)


def visible_activities(user: User) -> QuerySet[Activity]:
    agency = record_agency(user)
    if agency is None:
        return Activity.objects.none()
    return Activity.objects.filter(agency=agency)


def can_edit(user: User) -> bool:
    return bool(user.role_set & EDITOR_ROLES)


def search_cases(queryset: QuerySet[Case], text: str) -> QuerySet[Case]:
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(Q(number__icontains=text) | Q(title__icontains=text) | Q(party_name__icontains=text))


def search_activities(queryset: QuerySet[Activity], text: str) -> QuerySet[Activity]:
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(place__icontains=text) | Q(description__icontains=text) | Q(case__number__icontains=text)
        | Q(case__title__icontains=text)
    )


def activities_overlapping(agency_id: int, start, end, *, officer_id: int | None) -> QuerySet[Activity]:
    """Activities of the agency whose (actual, else planned) time span overlaps [start, end], by participant."""
    from django.db.models.functions import Coalesce

    spans = Activity.objects.filter(agency_id=agency_id).annotate(
        span_start=Coalesce("actual_start", "planned_start"), span_end=Coalesce("actual_end", "planned_end"),
    ).filter(span_start__lte=end, span_end__gte=start)
    if officer_id is not None:
        spans = spans.filter(participants__user_id=officer_id)
    return spans.distinct()
