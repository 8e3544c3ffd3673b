"""What other apps read of supervision: which records a reviewer may play, and the counts dashboards show."""

from __future__ import annotations

from django.db.models import QuerySet

from org.models import User
from supervision.models import MisconductCase, ReviewRound


def _open_rounds_of(user: User) -> QuerySet[ReviewRound]:
    return ReviewRound.objects.filter(reviewers=user, state=ReviewRound.State.REVIEWING)


def reviewing_record_ids(user: User) -> list[int]:
    """Records sampled in the open rounds the user reviews: their content may be played for the review."""
    return sorted({int(pk) for sample in _open_rounds_of(user).values_list("sample", flat=True) for pk in sample or ()})


def round_covering(user: User, record_id: int) -> ReviewRound | None:
    """The open round in which the user reviews the record, for the register."""
    return next((r for r in _open_rounds_of(user) if str(record_id) in (r.sample or ())), None)


def visible_rounds(user: User) -> QuerySet[ReviewRound]:
    from access.scope import restrict

    return restrict(ReviewRound.objects.all(), user)


def counting_rounds(user: User) -> QuerySet[ReviewRound]:
    """The rounds whose results count: a cancelled round's reviews are kept but no longer assess anyone."""
    return visible_rounds(user).exclude(state=ReviewRound.State.CANCELLED)


def visible_misconduct(user: User) -> QuerySet[MisconductCase]:
    from access.scope import restrict

    return restrict(MisconductCase.objects.all(), user)


def reviews_waiting(user: User) -> list[tuple[ReviewRound, int]]:
    """Open rounds the user reviews, with how many sampled records nobody has scored yet."""
    return [(r, len(r.sample or []) - r.reviews.count()) for r in _open_rounds_of(user).prefetch_related("reviews")
            if len(r.sample or []) > r.reviews.count()]


def round_titles(ids: set[int]) -> dict[int, str]:
    return dict(ReviewRound.objects.filter(pk__in=ids).values_list("pk", "title"))


def rounds_to_draw(user: User) -> QuerySet[ReviewRound]:
    return visible_rounds(user).filter(state=ReviewRound.State.COMMITTED)


def annual_reviews_missing(user: User, agency) -> tuple[int, int, str] | None:
    """(required, held, articles) when the pack asks for more annual reviews this year than were opened."""
    from django.utils import timezone

    from policy import current

    supervision = current.in_force(agency).supervision
    if supervision is None or not supervision.annual_review_at_least:
        return None
    held = counting_rounds(user).filter(kind=ReviewRound.Kind.ANNUAL,
                                       opened_at__year=timezone.localdate().year).count()
    if held >= supervision.annual_review_at_least:
        return None
    return supervision.annual_review_at_least, held, "、".join(supervision.annual_review_cite or [])
