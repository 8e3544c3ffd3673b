"""Keeping findings true to their inputs, and the interruption-note actions (000/2/12).

Findings are derived: ``refresh`` re-judges the activities whose inputs changed and stores only the difference.
It runs from ``on_event`` in the transaction of the change (a new clip, a link, a decided note, an edited
activity, a device check), and from the nightly ``recompute_all``, which reports whatever the incremental path
missed. Each finding opened or closed is an event of its own (compliance.findings), so the outbound feed carries it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from authz.capabilities import can
from cases.queries import activity_ids
from compliance import engine, findings, inputs
from compliance.models import ActivityStatus, Finding, InterruptionNote, RecomputeRun
from evidence.queries import activities_recorded_by_device, activity_of_record
from ledger.events import SYSTEM, RequestContext, follow, record_event, snapshot
from org.models import User
from policy import current

CHUNK = 500


def _store(verdicts: list[tuple[engine.ActivityFacts, engine.Verdict]], extra: dict[int, dict],
           now: dt.datetime, cause: findings.Cause) -> tuple[int, int, list[dict]]:
    ids = [facts.activity_id for facts, _verdict in verdicts]
    current = {(row.activity_id, row.fingerprint): row for row in (
        findings.OpenFinding(*values) for values in Finding.objects.filter(activity_id__in=ids, closed_at=None)
        .values_list("pk", "agency_id", "activity_id", "rule", "severity", "cites", "record_id", "officer_id",
                     "fingerprint", "params"))}
    wanted: dict[tuple[int, str], tuple[engine.FindingSpec, dict]] = {}
    for facts, verdict in verdicts:
        for spec in verdict.findings:
            wanted[(facts.activity_id, spec.fingerprint)] = (spec, extra[facts.activity_id])
    to_create, to_update, changes = [], [], []
    for key, (spec, info) in wanted.items():
        cites = ", ".join(spec.cites)
        found = current.get(key)
        if found is None:
            officer = spec.officer_id
            to_create.append(Finding(
                agency_id=info["agency_id"], activity_id=key[0], record_id=spec.record_id, officer_id=officer,
                unit_id=info["units"].get(officer) if officer else None, rule=spec.rule, fingerprint=spec.fingerprint,
                severity=spec.severity, cites=cites, params=spec.params, opened_at=now))
            changes.append({"activity": key[0], "rule": spec.rule, "change": "opened"})
        elif (found.severity, found.cites, found.params) != (spec.severity, cites, spec.params):
            to_update.append(Finding(pk=found.pk, severity=spec.severity, cites=cites, params=spec.params))
    gone = [row for key, row in current.items() if key not in wanted]
    for row in gone:
        changes.append({"activity": row.activity_id, "rule": row.rule, "change": "closed"})
    codes = {info["agency_id"]: info["agency_code"] for info in extra.values()}
    findings.open_findings(to_create, codes, cause)
    Finding.objects.bulk_update(to_update, ["severity", "cites", "params"])
    findings.close_findings(gone, codes, cause, now)
    known = {row[0]: row[1:] for row in ActivityStatus.objects.filter(activity_id__in=ids).values_list(
        "activity_id", "unit_id", "officer_id", "category", "month", "required", "compliant", "open_findings")}
    statuses = []
    tz = timezone.get_default_timezone()
    for facts, verdict in verdicts:
        info = extra[facts.activity_id]
        month = info["start"].astimezone(tz).date().replace(day=1)
        # Rates count an activity once its recordings were due, or earlier once a finding is open on it (the current
        # month's shortcomings are counted as they happen); until then it is neither compliant nor not.
        counted = verdict.required and (verdict.due or bool(verdict.findings))
        state = (info["unit_id"], info["officer_id"], info["category"], month, counted,
                 verdict.compliant, len(verdict.findings))
        if known.get(facts.activity_id) == state:
            continue  # unchanged: a nightly recompute rewrites nothing
        statuses.append(ActivityStatus(
            activity_id=facts.activity_id, agency_id=info["agency_id"], unit_id=state[0], officer_id=state[1],
            category=state[2], month=month, required=state[4], compliant=state[5], open_findings=state[6],
            evaluated_at=now))
    ActivityStatus.objects.bulk_create(
        statuses, update_conflicts=True, unique_fields=["activity"],
        update_fields=["agency", "unit", "officer", "category", "month", "required", "compliant", "open_findings",
                       "evaluated_at"])
    return len(to_create), len(gone), changes


def refresh(activity_ids: Iterable[int], *, now: dt.datetime | None = None,
            cause: findings.Cause = findings.RECOMPUTE) -> tuple[int, int, list[dict]]:
    """Re-judge these activities and store the difference: (findings opened, findings closed, what changed); each
    finding opened or closed is an event saying ``cause``."""
    ids = sorted(set(activity_ids))
    if not ids:
        return 0, 0, []
    now = now or timezone.now()
    facts, extra = inputs.load(ids)
    verdicts = [(f, engine.evaluate(f, now, inputs.tolerances(f.pack))) for f in facts]
    with transaction.atomic():
        return _store(verdicts, extra, now, cause)


# Changes to a record that can alter its activity's verdict; views and streams cannot, and are many.
RECORD_CHANGES = frozenset({"record.ingest", "record.link", "record.unlink", "record.classify"})


def _as_id(value: object) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def affected_activities(event) -> set[int]:
    """Which activities an event's change may alter the verdict of."""
    ids: set[int] = set()
    values = [event.before or {}, event.after or {}]
    if event.object_type == "cases.activity":
        ids.add(int(event.object_id))
    elif event.object_type == "evidence.record" and event.verb in RECORD_CHANGES:
        ids.update(_as_id(v.get("activity")) for v in values)
        ids.add(activity_of_record(int(event.object_id)))
    elif event.object_type == "compliance.interruptionnote":
        ids.update(_as_id(v.get("activity")) for v in values)
    elif event.object_type == "devices.device" and event.verb in ("device.check", "device.hand_out", "device.return"):
        after = event.after or {}
        moments = [dt.datetime.fromisoformat(after[k]) for k in ("checked_at", "out_at", "back_at") if after.get(k)]
        if moments:
            reach = dt.timedelta(hours=72)  # the longest pre-use window a pack may set (``numbers``)
            ids.update(activities_recorded_by_device(int(event.object_id), min(moments) - reach,
                                                     max(moments) + reach))
    ids.discard(None)
    return ids


def on_event(sender, event, **kwargs) -> None:
    ids = affected_activities(event)
    if not ids:
        return
    def refresh_after_event(ids: set[int]) -> tuple[int, int, list[dict]]:
        return refresh(ids, cause=findings.after_event(event.seq))

    follow(event, refresh_after_event, ids)  # the nightly recompute repairs what this misses, and reports it


def recompute_all(*, agency_id: int | None = None, progress: Callable[[int, int], None] | None = None,
                  now: dt.datetime | None = None) -> RecomputeRun:
    """Re-judge every activity in chunks; what had to change is the incremental path's miss, kept as a report."""
    now = now or timezone.now()
    run = RecomputeRun.objects.create(started_at=now)
    ids = list(activity_ids(agency_id=agency_id))
    opened = closed = 0
    sample: list[dict] = []
    for start in range(0, len(ids), CHUNK):
        o, c, changes = refresh(ids[start:start + CHUNK], now=now)
        opened, closed = opened + o, closed + c
        sample.extend(changes[: max(0, 50 - len(sample))])
        if progress is not None:
            progress(min(start + CHUNK, len(ids)), len(ids))
    run.evaluated, run.opened, run.closed, run.sample = len(ids), opened, closed, sample
    run.finished_at = timezone.now()
    with transaction.atomic():
        run.save()
        record_event("compliance.recompute", detail={"evaluated": len(ids), "opened": opened, "closed": closed})
    return run


def refresh_recently_due(now: dt.datetime | None = None, *, hours: int = 72) -> int:
    """Activities whose recordings fell due lately: their 'not recorded' findings appear without waiting a night."""
    now = now or timezone.now()
    ids = list(activity_ids(ended_between=(now - dt.timedelta(hours=hours), now)))
    for start in range(0, len(ids), CHUNK):
        refresh(ids[start:start + CHUNK], now=now, cause=findings.FELL_DUE)
    return len(ids)


# --- work records: interruptions (000/2/12) and activities not recorded on a ground the pack allows -------------------

NOTE_FIELDS = ["activity", "kind", "reason", "explanation", "basis", "gap_start", "gap_end", "state", "reviewer",
               "review_comment"]
INTERRUPTION, NON_RECORDING = InterruptionNote.Kind.INTERRUPTION, InterruptionNote.Kind.NON_RECORDING
# The capability that reviews each kind of work record (compliance/permissions.py); interruption notes by default.
_REVIEWED_UNDER: dict[str, str] = {NON_RECORDING: "work_record.review"}


def reasons(agency, kind: str = INTERRUPTION, pack=None) -> dict[str, tuple[str, list[str]]]:
    """The reasons a work record may give: the pack's interruption reasons, or its grounds for not recording."""
    pack = pack or current.in_force(agency)
    if kind == NON_RECORDING:
        return {g.id: (g.label, list(g.cite)) for g in (pack.non_recording.grounds if pack.non_recording else [])}
    return {r.id: (r.label, list(r.cite)) for r in (pack.interruptions.reasons if pack.interruptions else [])}


def review_cites(agency, kind: str = INTERRUPTION, pack=None) -> list[str]:
    """The article under which the work record is reviewed (who reviews is ``note.review`` or
    ``work_record.review``, from the pack)."""
    pack = pack or current.in_force(agency)
    if kind == NON_RECORDING and pack.non_recording is not None:
        return list(pack.non_recording.work_record.cite)
    review = pack.interruptions.note_review if pack.interruptions else None
    if review is not None:
        return list(review.cite)
    return [c for r in (pack.interruptions.reasons if pack.interruptions else []) for c in r.cite][:1]


def _note_pack(note: InterruptionNote):
    return current.version_of(note.agency, note.pack_version)


def _check_note(note: InterruptionNote, clips: list, participant_ids: set[int]) -> None:
    errors: dict[str, list[str]] = {}
    if note.author_id not in participant_ids:
        errors["__all__"] = [_("Only officers of this activity may write its interruption notes.")]
    if note.reason not in reasons(note.agency, note.kind, _note_pack(note)):
        errors["reason"] = [_("Choose a reason your agency's rules allow.")]
    if not note.explanation.strip():
        errors["explanation"] = [_("Say what happened.")]
    if not note.basis.strip():
        errors["basis"] = [_("State the basis for the interruption.")]
    if note.gap_start and note.gap_end and note.gap_end <= note.gap_start:
        errors["gap_end"] = [_("Recording must resume after it stopped.")]
    if any(c.activity_id != note.activity_id for c in clips):
        errors["clips"] = [_("Only clips of this activity can be attached.")]
    if errors:
        raise ValidationError(errors)


def submit_note(activity, data: dict, clips: list, *, actor: User, participant_ids: set[int],
                context: RequestContext = SYSTEM) -> InterruptionNote:
    """The officer's work record of an interruption: reason, what happened, basis, when it stopped and resumed."""
    agency = activity.agency
    data = dict(data)
    if data.get("kind") == NON_RECORDING:
        # Not recorded at all: the work record covers the whole activity.
        data["gap_start"] = activity.actual_start or activity.planned_start
        data["gap_end"] = activity.actual_end or activity.planned_end
    note = InterruptionNote(agency=agency, activity=activity, author=actor, submitted_at=timezone.now(),
                            pack_version=current.in_force(agency).version, **data)
    _check_note(note, clips, participant_ids)
    label, cites = reasons(agency, note.kind, _note_pack(note))[note.reason]
    note.reason_label, note.reason_cites = label, ", ".join(cites)
    note.full_clean(exclude=["clips"])
    with transaction.atomic():
        note.save()
        note.clips.set(clips)
        record_event("note.submit", actor=actor, obj=note, context=context,
                     after={**snapshot(note, NOTE_FIELDS), "clips": sorted(str(c.pk) for c in clips)})
    return note


def revise_note(note: InterruptionNote, data: dict, clips: list, *, actor: User, participant_ids: set[int],
                context: RequestContext = SYSTEM) -> InterruptionNote:
    """A returned note, corrected by its author and submitted again."""
    with transaction.atomic():
        locked = InterruptionNote.objects.select_for_update().select_related("agency").get(pk=note.pk)
        if locked.author_id != actor.pk:
            raise PermissionError(_("Only the author may revise this note."))
        if locked.state != InterruptionNote.State.RETURNED:
            raise ValidationError(_("Only a returned note can be revised."))
        before = snapshot(locked, NOTE_FIELDS)
        for name, value in data.items():
            setattr(locked, name, value)
        _check_note(locked, clips, participant_ids)
        label, cites = reasons(locked.agency, locked.kind, _note_pack(locked))[locked.reason]
        locked.reason_label, locked.reason_cites = label, ", ".join(cites)
        locked.state, locked.submitted_at = InterruptionNote.State.SUBMITTED, timezone.now()
        locked.reviewer, locked.reviewed_at = None, None
        locked.full_clean(exclude=["clips"])
        locked.save()
        locked.clips.set(clips)
        record_event("note.revise", actor=actor, obj=locked, context=context, before=before,
                     after={**snapshot(locked, NOTE_FIELDS), "clips": sorted(str(c.pk) for c in clips)})
    return locked


def can_review(user: User, note: InterruptionNote) -> bool:
    return (user.agency_id == note.agency_id and can(user, _REVIEWED_UNDER.get(note.kind, "note.review"))
            and user.pk != note.author_id)


def decide_note(note: InterruptionNote, *, approve: bool, comment: str, actor: User,
                context: RequestContext = SYSTEM) -> InterruptionNote:
    """The reviewer files the note (closing the gap's finding) or returns it with a comment to its author."""
    with transaction.atomic():
        locked = InterruptionNote.objects.select_for_update().select_related("agency").get(pk=note.pk)
        if actor.pk == locked.author_id:
            raise PermissionError(_("Nobody may review their own interruption note."))
        if not can_review(actor, locked):
            raise PermissionError(_("Only the reviewer your agency's rules name may decide interruption notes."))
        if locked.state != InterruptionNote.State.SUBMITTED:
            raise ValidationError(_("This note has already been decided."))
        if not approve and not comment.strip():
            raise ValidationError({"review_comment": _("Say what must be corrected.")})
        before = snapshot(locked, NOTE_FIELDS)
        locked.state = InterruptionNote.State.APPROVED if approve else InterruptionNote.State.RETURNED
        locked.reviewer, locked.reviewed_at, locked.review_comment = actor, timezone.now(), comment.strip()
        locked.save(update_fields=["state", "reviewer", "reviewed_at", "review_comment"])
        record_event("note.approve" if approve else "note.return", actor=actor, obj=locked, context=context,
                     before=before, after=snapshot(locked, NOTE_FIELDS))
    return locked


def last_recompute() -> RecomputeRun | None:
    return RecomputeRun.objects.filter(finished_at__isnull=False).first()
