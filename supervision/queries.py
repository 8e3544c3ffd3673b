"""What other apps read of supervision: the rounds and cases a user may see, and the counts dashboards show."""

from __future__ import annotations

from django.db.models import QuerySet

from org.models import User
from policy.registry import registry
from supervision.models import MisconductCase, ReviewRound


def _open_rounds_of(user: User) -> QuerySet[ReviewRound]:
    return ReviewRound.objects.filter(reviewers=user, state=ReviewRound.State.REVIEWING)


def visible_rounds(user: User) -> QuerySet[ReviewRound]:
    return ReviewRound.objects.restrict(user)


def counting_rounds(user: User) -> QuerySet[ReviewRound]:
    """The rounds whose results count: a cancelled round's reviews are kept but no longer assess anyone."""
    return visible_rounds(user).exclude(state=ReviewRound.State.CANCELLED)


def visible_misconduct(user: User) -> QuerySet[MisconductCase]:
    return MisconductCase.objects.restrict(user)


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

    supervision = registry().in_force(agency.pack_code).supervision
    if supervision is None or not supervision.annual_review_at_least:
        return None
    held = counting_rounds(user).filter(kind=ReviewRound.Kind.ANNUAL,
                                       opened_at__year=timezone.localdate().year).count()
    if held >= supervision.annual_review_at_least:
        return None
    return supervision.annual_review_at_least, held, "、".join(supervision.annual_review_cite or [])
