"""Retention worklists, through the access choke point."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from evidence.models import Record
from evidence.queries import visible_records
from org.models import User
from retention.models import Hold, PurgeProposal, Schedule


def _unheld_live(records: QuerySet) -> QuerySet:
    held = Hold.objects.filter(record=OuterRef("pk"), released_at__isnull=True)
    proposed = PurgeProposal.objects.filter(record=OuterRef("pk"), state__in=[PurgeProposal.State.PROPOSED,
                                                                             PurgeProposal.State.APPROVED])
    return (records.filter(purged_at__isnull=True, retention__permanent=False)
            .filter(Q(case__isnull=True) | Q(case__archived_on__isnull=False))
            .exclude(Exists(held)).exclude(Exists(proposed)))


def _ending(user: User, **term) -> QuerySet[Record]:
    """Visible records whose schedule ends in a range, started from the ``(agency, retain_until)`` index: the
    schedules of the user's agency in the range are few, and each leads to its record by primary key; the records
    are still those the choke point lets the user see."""
    ending = Schedule.objects.filter(agency_id=user.agency_id, permanent=False, **term).values("record_id")
    return _unheld_live(visible_records(user).filter(pk__in=ending))


def due_for_review(user: User, today: dt.date | None = None) -> QuerySet[Record]:
    """Records whose term has ended and that nothing keeps (000/2/15: the archivist reviews them for purge)."""
    today = today or timezone.localdate()
    return (_ending(user, retain_until__lt=today)
            .select_related("retention", "case", "officer").order_by("retention__retain_until", "pk"))


def expiring_within(user: User, days: int = 30, today: dt.date | None = None) -> QuerySet[Record]:
    today = today or timezone.localdate()
    return (_ending(user, retain_until__gte=today, retain_until__lte=today + dt.timedelta(days=days))
            .select_related("retention").order_by("retention__retain_until", "pk"))


def proposals_waiting(user: User) -> QuerySet[PurgeProposal]:
    return (PurgeProposal.objects.restrict(user).filter(state=PurgeProposal.State.PROPOSED)
            .select_related("record__retention", "proposed_by").order_by("proposed_at"))


def purges_under_way(user: User) -> QuerySet[PurgeProposal]:
    """Approved purges the job has not finished: approved and waiting, or tombstone written and content going."""
    return (PurgeProposal.objects.restrict(user)
            .filter(state__in=[PurgeProposal.State.APPROVED, PurgeProposal.State.ERASING])
            .select_related("record", "decided_by").order_by("decided_at", "pk"))


def latest_proposal(user: User, record_id: int) -> PurgeProposal | None:
    """The record's newest purge proposal the user may see, whatever its state (the record page shows it)."""
    return (PurgeProposal.objects.restrict(user).filter(record_id=record_id)
            .select_related("proposed_by", "decided_by").order_by("-proposed_at", "-pk").first())


def active_holds(user: User) -> QuerySet[Hold]:
    return (Hold.objects.restrict(user).filter(released_at__isnull=True)
            .select_related("record", "placed_by").order_by("-placed_at"))


def holds_of(user: User, record_id: int) -> QuerySet[Hold]:
    return Hold.objects.restrict(user).filter(record_id=record_id).select_related("placed_by", "released_by")
