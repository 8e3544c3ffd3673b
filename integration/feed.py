"""The outbound feed: the agency's events a connected system may follow (findings opened and closed, records filed
and linked, decisions made, access granted, cases and activities written), read by cursor from the ledger itself —
the feed is a view of the record, never a second copy of it."""

from __future__ import annotations

from django.db.models import QuerySet

from ledger.models import Event

FEED_VERBS = (
    "record.ingest", "record.link", "record.unlink", "record.classify",
    "case.create", "case.update", "case.assign_handlers", "activity.create", "activity.update",
    "decision.draft", "decision.submit_review", "decision.review", "decision.finalise",
    "access.grant", "access.revoke", "access.expire",
    "note.submit", "note.approve",
    "finding.open", "finding.close",
)


def events(agency_code: str, *, after: int = -1, verbs: list[str] | None = None) -> QuerySet[Event]:
    """Done events of the agency after ``after`` (a ledger sequence number), oldest first."""
    wanted = [v for v in (verbs or FEED_VERBS) if v in FEED_VERBS]
    return (Event.objects.filter(agency_code=agency_code, result=Event.Result.DONE, verb__in=wanted, seq__gt=after)
            .order_by("seq"))


def as_message(event: Event) -> dict:
    """What a system receives for one event: the ledger's own facts (its sequence number lets it ask for a proof)."""
    return {"seq": event.seq, "verb": event.verb, "occurred_at": event.occurred_at.isoformat(),
            "agency": event.agency_code, "actor": event.actor_label, "object_type": event.object_type,
            "object_id": event.object_id, "object": event.object_label, "before": event.before, "after": event.after,
            "detail": event.detail}
