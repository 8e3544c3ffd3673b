"""Retention schedules, holds and purges (000/2/15, 000/2/16, 001/3/10, 004/13): one action function per change, each
writing its event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from authz.capabilities import can
from evidence.classify import event_snapshot
from evidence.derivatives import stored_object
from evidence.models import Record
from evidence.queries import case_record_ids, record_ids_after, retention_rows
from evidence.services import content_locked, erase_content, mark_purged
from evidence.store import ObjectLocked, store_named
from ledger.events import SYSTEM, RequestContext, follow, record_denial, record_event
from org.models import User
from policy import current, rules
from retention.models import Hold, PurgeProposal, Schedule, Tombstone
from retention.schedule import compute

RECORD_VERBS = frozenset({"record.ingest", "record.classify", "record.link", "record.unlink"})
CASE_VERBS = frozenset({"case.update"})


class RetentionRefused(Exception):
    """Refused, with a message that says why."""


SCHEDULE_FIELDS = ("retain_until", "computed_until", "permanent", "pending", "rules", "cites", "label", "computed_at")


def refresh(record_ids: Iterable[int], *, batch: int = 2000) -> int:
    """Recompute the schedules of these records. A later end applies at once (and extends the S3 lock); an earlier
    one waits for the head (``approve_shortening``). Written in bulk: the facts in one query, the schedules in
    one, new schedules created and changed ones updated ``batch`` rows at a time, whatever the number of records."""
    rows = retention_rows(list(record_ids))
    existing = {s.record_id: s for s in Schedule.objects.filter(record_id__in=[r["id"] for r in rows])}
    now = timezone.now()
    packs = current.Versions()
    created: list[Schedule] = []
    updated: list[Schedule] = []
    extended: dict[int, dt.date] = {}
    for row in rows:
        if row["purged_at"] is not None:
            continue
        result = compute(row, packs)
        schedule = existing.get(row["id"]) or Schedule(record_id=row["id"], agency_id=row["agency_id"])
        previous = schedule.retain_until
        schedule.computed_until = result.until
        schedule.permanent, schedule.pending = result.permanent, result.pending
        schedule.rules, schedule.cites, schedule.label = result.rules, result.cites, result.label
        if result.until is None or previous is None or result.until >= previous or schedule._state.adding:
            schedule.retain_until = result.until
        schedule.computed_at = now
        (created if schedule._state.adding else updated).append(schedule)
        if schedule.retain_until is not None and schedule.retain_until != previous:
            extended[row["id"]] = schedule.retain_until
    Schedule.objects.bulk_create(created, batch_size=batch)
    Schedule.objects.bulk_update(updated, SCHEDULE_FIELDS, batch_size=batch)
    _extend_locks(extended)
    return len(rows)


def _extend_locks(until_by_record: dict[int, dt.date]) -> None:
    """Extend the store's retention lock of each record whose end moved later; the records in one query."""
    if not until_by_record:
        return
    for record in Record.objects.select_related("blob").filter(pk__in=list(until_by_record)):
        _store(record).extend_retention(_object(record), _end_of_day(until_by_record[record.pk]))


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _store(record):
    return store_named(record.blob.backend)


def _object(record):
    return stored_object(record.blob)


def on_event(sender, event, **kwargs) -> None:
    """Keep schedules current with the changes they derive from, in the change's transaction."""
    if event.object_type == "evidence.record" and event.verb in RECORD_VERBS:
        ids = [int(event.object_id)]
    elif event.object_type == "cases.case" and event.verb in CASE_VERBS:
        ids = case_record_ids(int(event.object_id))
    else:
        return
    follow(event, refresh, ids)  # the nightly sweep recomputes every schedule; an unset one blocks any purge


def refresh_all(batch: int = 2000) -> int:
    """The nightly sweep: every record's schedule from the packs in force (also after a pack changes), a batch of
    record ids at a time, seeking past the last one (no list of every id, no growing offset)."""
    done, last = 0, 0
    while ids := record_ids_after(last, batch):
        refresh(ids, batch=batch)
        done, last = done + len(ids), ids[-1]
    return done


def approve_shortening(schedule: Schedule, *, actor: User, context: RequestContext = SYSTEM) -> Schedule:
    if not can(actor, "retention.shorten") or actor.agency_id != schedule.agency_id:
        record_denial("retention.shorten", actor=actor, obj=schedule.record, context=context)
        raise RetentionRefused(_("Only the head may shorten a retention period."))
    with transaction.atomic():
        locked = Schedule.objects.select_for_update().get(pk=schedule.pk)
        if not locked.shortening_pending:
            raise RetentionRefused(_("Nothing to shorten."))
        before = locked.retain_until
        locked.retain_until = locked.computed_until
        locked.save(update_fields=["retain_until"])
        record_event("retention.shorten", actor=actor, obj=locked.record, context=context,
                     before={"retain_until": before.isoformat()},
                     after={"retain_until": locked.retain_until.isoformat()})
    return locked


# --- holds ------------------------------------------------------------------------------------------------


def place_hold(records: list, *, kind: str, reason: str, actor: User, trigger: str = "", supporting: list = (),
               context: RequestContext = SYSTEM) -> list[Hold]:
    """Long-term preservation (000/2/16: a trigger from the pack) or a litigation/review hold: blocks purge and sets
    the S3 legal hold."""
    problem = None
    if not can(actor, "retention.hold") or any(r.agency_id != actor.agency_id for r in records):
        problem = _("Only the archivist or the head of the agency places holds.")
    elif not records or not reason.strip():
        problem = _("Choose the records and state the reason for the hold.")
    label, cites = "", ""
    if problem is None and kind == Hold.Kind.LONG_TERM:
        triggers = {t.id: t for t in rules.long_term_triggers(current.in_force(actor.agency))}
        if trigger not in triggers:
            problem = _("Choose one of the agency's long-term preservation triggers.")
        else:
            label, cites = triggers[trigger].label, "、".join(triggers[trigger].cite)
    if problem is not None:
        record_denial("retention.hold", actor=actor, context=context, detail={"reason": problem})
        raise RetentionRefused(problem)
    now = timezone.now()
    holds = []
    with transaction.atomic():
        for record in records:
            hold = Hold.objects.create(agency_id=record.agency_id, record=record, kind=kind, trigger=trigger,
                                       trigger_label=label, cites=cites, reason=reason, placed_by=actor, placed_at=now)
            hold.supporting.set(supporting)
            record_event("retention.hold", actor=actor, obj=record, context=context,
                         after={"hold": hold.pk, "hold_kind": kind, "trigger": trigger, "cites": cites,
                                "reason": reason})
            holds.append(hold)
    for record in records:
        _store(record).set_legal_hold(_object(record), True)
    return holds


def release_hold(hold: Hold, *, actor: User, reason: str, context: RequestContext = SYSTEM) -> Hold:
    if not can(actor, "retention.release_hold") or actor.agency_id != hold.agency_id or not reason.strip():
        message = _("Only the head releases a hold, and says why.")
        record_denial("retention.release", actor=actor, obj=hold.record, context=context, detail={"reason": message})
        raise RetentionRefused(message)
    with transaction.atomic():
        locked = Hold.objects.select_for_update().get(pk=hold.pk)
        if locked.released_at is not None:
            raise RetentionRefused(_("This hold was already released."))
        locked.released_by, locked.released_at, locked.release_reason = actor, timezone.now(), reason
        locked.save(update_fields=["released_by", "released_at", "release_reason"])
        record_event("retention.release", actor=actor, obj=locked.record, context=context,
                     detail={"hold": locked.pk, "reason": reason})
        still_held = Hold.objects.filter(record=locked.record, released_at__isnull=True).exists()
    if not still_held:
        _store(locked.record).set_legal_hold(_object(locked.record), False)
    return locked


# --- purge ------------------------------------------------------------------------------------------------


def purge_blocker(record, today: dt.date | None = None) -> str | None:
    """Why this record may not be purged now, or None. Holds and open cases win over any date (000/2/15, 000/2/16)."""
    today = today or timezone.localdate()
    schedule = Schedule.objects.filter(record=record).first()
    if record.purged_at is not None:
        return _("already purged")
    if Hold.objects.filter(record=record, released_at__isnull=True).exists():
        return _("under a hold")
    if record.case_id is not None and record.case.archived_on is None:
        return _("its case is not archived")
    if schedule is None or schedule.permanent or schedule.retain_until is None:
        return _("no retention end date")
    if schedule.retain_until >= today:
        return _("retention runs until %(day)s") % {"day": schedule.retain_until.isoformat()}
    return None


def propose_purge(records: list, *, reason: str, actor: User, context: RequestContext = SYSTEM) -> list:
    """The archivist marks expired records of no preservation value (000/2/15) for the head's approval."""
    problem = None
    if not can(actor, "retention.propose_purge") or any(r.agency_id != actor.agency_id for r in records):
        problem = _("Only the archivist proposes purges.")
    elif not records:
        problem = _("Nothing was proposed for purge: no record due for review was ticked. Tick the records of no "
                    "preservation value in the list, then propose them.")
    elif not reason.strip():
        problem = _("Say why these records have no preservation value.")
    else:
        blocked = [f"{r.original_name}（{b}）" for r in records if (b := purge_blocker(r))]
        if blocked:
            problem = _("Not purgeable: %(items)s.") % {"items": "、".join(blocked)}
    if problem is not None:
        record_denial("retention.propose_purge", actor=actor, context=context, detail={"reason": problem})
        raise RetentionRefused(problem)
    now = timezone.now()
    with transaction.atomic():
        made = []
        for record in records:
            proposal = PurgeProposal.objects.create(agency_id=record.agency_id, record=record, reason=reason,
                                                    proposed_by=actor, proposed_at=now)
            record_event("retention.propose_purge", actor=actor, obj=record, context=context,
                         detail={"proposal": proposal.pk, "reason": reason})
            made.append(proposal)
    return made


def decide_purge(proposals: list[PurgeProposal], *, approve: bool, actor: User, comment: str = "",
                 context: RequestContext = SYSTEM) -> None:
    verb = "retention.approve_purge" if approve else "retention.reject_purge"
    problem = None
    if not can(actor, "retention.decide_purge"):
        problem = _("Only the head decides purges.")
    elif not proposals:
        problem = _("Nothing was decided: no proposal awaiting approval was ticked.")
    elif any(p.proposed_by_id == actor.pk for p in proposals):
        problem = _("Nobody approves a purge they proposed.")
    elif not approve and not comment.strip():
        problem = _("Say why the purge is rejected.")
    if problem is not None:
        record_denial(verb, actor=actor, context=context, detail={"reason": problem})
        raise RetentionRefused(problem)
    with transaction.atomic():
        for proposal in PurgeProposal.objects.select_for_update().filter(
                pk__in=[p.pk for p in proposals], state=PurgeProposal.State.PROPOSED, agency_id=actor.agency_id):
            proposal.state = PurgeProposal.State.APPROVED if approve else PurgeProposal.State.REJECTED
            proposal.decided_by, proposal.decided_at, proposal.comment = actor, timezone.now(), comment
            proposal.save(update_fields=["state", "decided_by", "decided_at", "comment"])
            record_event(verb, actor=actor, obj=proposal.record, context=context,
                         detail={"proposal": proposal.pk, "comment": comment})


def purge_approved(limit: int = 50) -> int:
    """The job: purge approved records in a chunk, re-checking each; never inside a web request.

    A purge writes what it destroys before destroying it: one transaction writes the tombstone and the
    ``record.purge`` event and marks the record purged; only then are the bytes removed, object by object, and the
    proposal closed. A crash at any point leaves either the content or the tombstone with its event, and the next
    run finishes what a crash interrupted (proposals left ``erasing``) before starting anything new."""
    done = 0
    for proposal in _proposals(PurgeProposal.State.ERASING, limit):
        done += _erase(proposal)
    for proposal in _proposals(PurgeProposal.State.APPROVED, limit):
        record = proposal.record
        blocker = purge_blocker(record)
        if blocker is not None:
            with transaction.atomic():
                PurgeProposal.objects.filter(pk=proposal.pk).update(state=PurgeProposal.State.BLOCKED,
                                                                     blocked_reason=blocker,
                                                                     finished_at=timezone.now())
                record_event("retention.purge_blocked", obj=record, detail={"proposal": proposal.pk,
                                                                            "reason": blocker})
            continue
        if content_locked(record):
            continue  # the store's own lock has not expired yet: nothing is written, the next run tries again
        _bury(proposal)
        done += _erase(proposal)
    return done


def _proposals(state: str, limit: int) -> list[PurgeProposal]:
    return list(PurgeProposal.objects.filter(state=state)
                .select_related("record__blob", "record__case", "proposed_by", "decided_by")
                .order_by("decided_at", "pk")[:limit])


def _erase(proposal: PurgeProposal) -> int:
    """Remove the content of a record whose tombstone is written; 1 when the purge is complete."""
    record = proposal.record
    record.refresh_from_db()
    try:
        erase_content(record)
    except ObjectLocked:
        return 0  # refused by the store after all: the proposal stays erasing and the next run tries again
    PurgeProposal.objects.filter(pk=proposal.pk, state=PurgeProposal.State.ERASING).update(
        state=PurgeProposal.State.DONE, finished_at=timezone.now())
    return 1


def _bury(proposal: PurgeProposal) -> None:
    """Tombstone, event and the record's purged mark, in one transaction, before any byte is removed."""
    record = proposal.record
    record.refresh_from_db()
    now = timezone.now()
    approvals = {"proposed_by": str(proposal.proposed_by), "proposed_at": proposal.proposed_at.isoformat(),
                 "reason": proposal.reason, "approved_by": str(proposal.decided_by),
                 "approved_at": proposal.decided_at.isoformat(), "comment": proposal.comment}
    with transaction.atomic():
        if not PurgeProposal.objects.select_for_update().filter(pk=proposal.pk,
                                                                state=PurgeProposal.State.APPROVED).exists():
            return  # another run got here first
        metadata = event_snapshot(record)
        event = record_event("record.purge", obj=record, before=metadata,
                             detail={"proposal": proposal.pk, **approvals})
        Tombstone.objects.create(record=record, agency_id=record.agency_id, sha256=record.blob.sha256,
                                 sm3=record.blob.sm3, size=record.blob.size, metadata=metadata, approvals=approvals,
                                 purged_at=now, event_seq=event.seq)
        mark_purged(record, now)
        PurgeProposal.objects.filter(pk=proposal.pk).update(state=PurgeProposal.State.ERASING)
