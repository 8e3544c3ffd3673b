"""Every query for cases and activities starts here, scoped by the authorization registry (``cases.permissions``)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from cases.models import Activity, ActivityOfficer, Case, Decision, LegalReview
from cases.permissions import cleared
from cases.permissions import marked as marked_condition
from lawtrace import rawrows
from org.models import User

# What a reader sees instead of a case's number and title when the case is concealed from them (000/1/10).
CONCEALED_CASE = gettext_lazy("confidential case")


def visible_cases(user: User) -> QuerySet[Case]:
    return Case.objects.restrict(user, "view")


def concealed_case_ids(user: User) -> set[int]:
    """Cases of the user's agency whose number and title the user may not read (000/1/10): pages that reach them
    through an activity, a record or a request show them masked. Few cases carry marks, so the set stays small."""
    if not user.is_authenticated or not user.agency_id:
        return set()
    marked = Case.objects.filter(marked_condition(user), agency_id=user.agency_id)
    return set(marked.exclude(pk__in=visible_cases(user).values("pk")).values_list("pk", flat=True))


def uncleared_case_ids(user: User) -> set[int]:
    """Marked cases of the user's agency whose marks the user is not cleared for (000/1/10), judged on clearance
    alone, whatever roles the user holds (their handlers excepted): what a connected system's feed withholds."""
    condition = cleared(user)
    if condition is True or not user.agency_id:
        return set()
    marked = Case.objects.filter(marked_condition(user), agency_id=user.agency_id)
    return set(marked.exclude(condition).values_list("pk", flat=True))


def case_number_for(case: Case, concealed: set[int]) -> str:
    """The case's number, or the concealed-case wording when ``concealed`` holds it."""
    return str(CONCEALED_CASE) if case.pk in concealed else case.number


def visible_activities(user: User) -> QuerySet[Activity]:
    return Activity.objects.restrict(user, "view")


def search_cases(queryset: QuerySet[Case], text: str) -> QuerySet[Case]:
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(Q(number__icontains=text) | Q(title__icontains=text) | Q(party_name__icontains=text))


def search_activities(queryset: QuerySet[Activity], text: str, user: User) -> QuerySet[Activity]:
    """Activities matching ``text`` in their place, description, or case number and title where the user may read
    the case (a search must not reveal a confidential case's title)."""
    text = text.strip()
    if not text:
        return queryset
    by_case = (Q(case__number__icontains=text) | Q(case__title__icontains=text)) & Q(case__in=visible_cases(user))
    return queryset.filter(Q(place__icontains=text) | Q(description__icontains=text) | by_case)


def activities_overlapping(agency_id: int, start, end, *, officer_id: int | None) -> QuerySet[Activity]:
    """Activities of the agency whose (actual, else planned) time span overlaps [start, end], by participant."""
    from django.db.models.functions import Coalesce

    spans = Activity.objects.filter(agency_id=agency_id).annotate(
        span_start=Coalesce("actual_start", "planned_start"), span_end=Coalesce("actual_end", "planned_end"),
    ).filter(span_start__lte=end, span_end__gte=start)
    if officer_id is not None:
        spans = spans.filter(participants__user_id=officer_id)
    return spans.distinct()


ACTIVITY_FACT_FIELDS = (
    "id", "agency_id", "agency__code", "pack_version", "category", "stage", "planned_start", "planned_end",
    "actual_start", "actual_end", "properties", "moments", "remote_or_continuous", "case_id",
    *(f"case__{name}" for name in Case.MARK_FIELDS),
)


def activity_fact_rows(activity_ids: list[int]) -> list[dict]:
    """Plain rows for evaluating activities in bulk, each with its participants as (user, part) pairs."""
    rows = rawrows.values(Activity.objects.filter(pk__in=activity_ids), ACTIVITY_FACT_FIELDS,
                          times=("planned_start", "planned_end", "actual_start", "actual_end"),
                          flags=("remote_or_continuous",), json=("properties", "moments"))
    people: dict[int, list[tuple[int, str]]] = {row["id"]: [] for row in rows}
    for activity_id, user_id, part in (ActivityOfficer.objects.filter(activity_id__in=activity_ids)
                                       .order_by("id").values_list("activity_id", "user_id", "part")):
        people[activity_id].append((user_id, part))
    for row in rows:
        row["participants"] = people[row["id"]]
        row["case_marks"] = frozenset(str(mark) for name, mark in Case.MARK_FIELDS.items() if row[f"case__{name}"])
    return rows


def activity_ids(*, agency_id: int | None = None, ended_between: tuple | None = None) -> QuerySet:
    """Activity ids for sweeps; ``ended_between`` keeps those ending in [from, to)."""
    from django.db.models.functions import Coalesce

    activities = Activity.objects.all()
    if agency_id is not None:
        activities = activities.filter(agency_id=agency_id)
    if ended_between is not None:
        activities = activities.annotate(span_end=Coalesce("actual_end", "planned_end")).filter(
            span_end__gte=ended_between[0], span_end__lt=ended_between[1])
    # In time order, so each chunk of a sweep covers a short period and reads only that period's device checks.
    return activities.order_by("planned_start", "pk").values_list("pk", flat=True)


def participant_ids(activity: Activity) -> set[int]:
    return set(activity.participants.values_list("user_id", flat=True))


def activities_taken_part(user: User, activity_ids) -> set[int]:
    """Which of ``activity_ids`` the user took part in (and so may explain, e.g. by an interruption note)."""
    return set(ActivityOfficer.objects.filter(user_id=user.pk, activity_id__in=set(activity_ids))
               .values_list("activity_id", flat=True))


def case_by_number(number: str, agency_code: str | None = None) -> Case:
    """The case with this number (for operators' commands, which have no user scope)."""
    cases = Case.objects.filter(number=number).select_related("agency")
    if agency_code:
        cases = cases.filter(agency__code=agency_code)
    found = list(cases[:2])
    if not found:
        raise LookupError(f"没有案号为 {number} 的案件 no case numbered {number}")
    if len(found) > 1:
        raise LookupError(f"案号 {number} 在多个机关中使用，请加 --agency no unique case {number}; give --agency")
    return found[0]


def decision_summary(user: User, start, end) -> dict[str, int]:
    """Decisions drafted in [start, end) on cases the user may see: how many, how many needed legal review, and how
    the reviews ended."""
    drafted = Decision.objects.filter(case__in=visible_cases(user), drafted_at__gte=start, drafted_at__lt=end)
    required = sum(1 for items in drafted.values_list("required_items", flat=True) if items)
    return {"drafted": drafted.count(), "review_required": required,
            "passed": drafted.filter(reviews__passed=True).distinct().count(),
            "failed": drafted.filter(reviews__passed=False).distinct().count(),
            "final": drafted.filter(state=Decision.State.FINAL).count()}


def decisions_awaiting_review(user: User) -> QuerySet:
    """Decisions submitted for legal review on cases the user may see, oldest first."""
    return (Decision.objects.filter(case__in=visible_cases(user), state=Decision.State.IN_REVIEW)
            .select_related("case").order_by("drafted_at"))


def legal_review_titles(ids: set[int]) -> dict[int, str]:
    """Legal reviews by id as the register names them: the decision they reviewed."""
    return {review.pk: str(review.decision) for review in
            LegalReview.objects.filter(pk__in=ids).select_related("decision__case")}
