"""What an activity's recordings owe its agency's rules, judged from plain facts.

Pure functions over dataclasses: the loader (``compliance.inputs``) gathers the facts for many activities at
once, this module decides, and the services store the difference. Nothing here queries the database or knows an
agency by name; every finding carries the rule and the article it comes from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from policy import rules
from policy.schema import ChecklistRow, PolicyPack

HIGH, MEDIUM, LOW = "high", "medium", "low"
MOVING_KINDS = frozenset({"av", "audio"})


@dataclass(frozen=True)
class Clip:
    record_id: int
    kind: str  # av, photo, audio, document
    start: dt.datetime | None  # on the reference clock (device clock corrected by the docking skew)
    end: dt.datetime | None
    officer_id: int | None = None
    device_id: int | None = None
    skew_seconds: int | None = None
    late: bool = False
    deadline_cite: str = ""
    # The file's own time sources disagree beyond the clock tolerance: the chosen and the furthest value
    # (evidence.timesources.disagreement_params).
    time_disagreement: dict | None = field(default=None, hash=False, compare=False)


@dataclass(frozen=True)
class Note:
    note_id: int
    state: str  # submitted, approved, returned
    gap_start: dt.datetime
    gap_end: dt.datetime
    kind: str = "interruption"  # or "non_recording": the activity went unrecorded on a ground the pack allows
    ground: str = ""


@dataclass(frozen=True)
class DeviceCheck:
    device_id: int
    checked_at: dt.datetime
    passed: bool
    failed: tuple[str, ...] = ()  # the items answered "no"


@dataclass(frozen=True)
class Tolerances:
    gap: dt.timedelta = dt.timedelta(minutes=2)
    uninterrupted_gap: dt.timedelta = dt.timedelta(seconds=10)
    edge: dt.timedelta = dt.timedelta(minutes=5)
    clock: dt.timedelta = dt.timedelta(seconds=60)
    pre_use_window: dt.timedelta = dt.timedelta(hours=12)


@dataclass(frozen=True)
class ActivityFacts:
    activity_id: int
    pack: PolicyPack
    stage: str
    category: str
    flags: frozenset[str]  # the pack's properties that hold for the activity
    start: dt.datetime
    end: dt.datetime
    lead_officer_id: int | None
    qualified_officer_ids: frozenset[int]  # enforcement qualification valid on the activity's day
    clips: tuple[Clip, ...] = ()
    notes: tuple[Note, ...] = ()
    device_checks: tuple[DeviceCheck, ...] = ()
    # Devices kept on the hand-over ledger → who held each during the activity; devices not in it are not judged.
    holders: dict[int, frozenset[int]] = field(default_factory=dict, hash=False)
    recordings_due_at: dt.datetime | None = None  # when missing recordings become a finding (the storage deadline)
    case_marks: frozenset[str] = frozenset()  # confidentiality marks of the activity's case
    moments: dict[str, dt.datetime] = field(default_factory=dict, hash=False)  # named moments the officer marked


@dataclass(frozen=True)
class FindingSpec:
    rule: str
    severity: str
    cites: tuple[str, ...]
    key: str = ""  # distinguishes several findings of one rule on one activity (a clip, a gap)
    record_id: int | None = None
    officer_id: int | None = None
    params: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def fingerprint(self) -> str:
        return f"{self.rule}:{self.key}" if self.key else self.rule


@dataclass(frozen=True)
class Verdict:
    required: bool
    findings: tuple[FindingSpec, ...]
    due: bool = True  # the activity has ended and its recordings were due: it counts in compliance rates

    @property
    def compliant(self) -> bool:
        return not self.findings


def _iso(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _merged(spans: Iterable[tuple[dt.datetime, dt.datetime]], joining: dt.timedelta) -> list[list[dt.datetime]]:
    merged: list[list[dt.datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + joining:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _covered_by_note(notes: Iterable[Note], start: dt.datetime, end: dt.datetime, slack: dt.timedelta) -> Note | None:
    """The best note covering a gap: approved first, then one waiting for review; returned notes do not count."""
    covering = [n for n in notes if n.kind == "interruption" and n.gap_start - slack <= start
                and n.gap_end + slack >= end and n.state != "returned"]
    covering.sort(key=lambda n: n.state != "approved")
    return covering[0] if covering else None


def _row_needs_moving_pictures(row: ChecklistRow) -> bool:
    return any(m.value in {"video", "cctv", "audio"} for m in row.manner)


def _facts_for_rules(facts: ActivityFacts) -> rules.Facts:
    return rules.Facts(properties=facts.flags, activity_category=facts.category, stage=facts.stage)


def _exemption(facts: ActivityFacts) -> tuple[str, Note | None]:
    """Whether the pack lets this activity go unrecorded: ("approved", note), ("marked", None) for a case mark that is
    itself a ground, ("waiting", note) while a work record awaits review, or ("", None)."""
    allowed = facts.pack.non_recording
    if allowed is None:
        return "", None
    grounds = {g.id: g for g in allowed.grounds}
    if allowed.case_mark_is_ground and any(set(map(str, g.case_marks)) & facts.case_marks for g in grounds.values()):
        return "marked", None
    records = [n for n in facts.notes if n.kind == "non_recording" and n.ground in grounds and n.state != "returned"]
    records.sort(key=lambda n: n.state != "approved")
    if records:
        return ("approved" if records[0].state == "approved" else "waiting"), records[0]
    return "", None


def evaluate(facts: ActivityFacts, now: dt.datetime, tolerance: Tolerances = Tolerances()) -> Verdict:
    pack = facts.pack
    row = rules.checklist_row(pack, facts.stage)
    required = row is not None and rules.recording_required(row, _facts_for_rules(facts))
    found: list[FindingSpec] = []
    moving = [c for c in facts.clips if c.kind in MOVING_KINDS and c.start and c.end]
    photos = [c for c in facts.clips if c.kind == "photo"]
    ended = facts.end <= now
    due = facts.recordings_due_at is None or facts.recordings_due_at <= now

    if required and row is not None:
        row_cites = tuple(row.cite)
        needs_moving = _row_needs_moving_pictures(row)
        if ended and due and not (moving if needs_moving else moving or photos):
            exempt, record = _exemption(facts)
            if exempt not in ("approved", "marked"):
                found.append(FindingSpec("not_recorded", HIGH, row_cites, officer_id=facts.lead_officer_id,
                                         params={"stage": row.stage, "requirement": row.requirement,
                                                 # The pack names grounds a work record may state (005/5).
                                                 "grounds": pack.non_recording is not None,
                                                 "note_id": record.note_id if record else None,
                                                 "note_state": record.state if record else ""}))
        if moving:
            found.extend(_coverage(facts, row, moving, tolerance, ended))
        if row.key_moment_photos and ended and due and not photos:
            found.append(FindingSpec("key_photos_missing", MEDIUM, row_cites, officer_id=facts.lead_officer_id,
                                     params={"stage": row.stage}))
        fallback = pack.recording.key_moments_when_full_impossible if pack.recording else None
        explained = [n for n in facts.notes if n.state != "returned" and n.kind == "interruption"]
        if fallback is not None and explained and ended and not any(c.kind == "document" for c in facts.clips):
            found.append(FindingSpec("written_record_missing", MEDIUM, tuple(fallback.cite),
                                     officer_id=facts.lead_officer_id, params={"rule": fallback.label}))

    for clip in facts.clips:
        if clip.late:
            found.append(FindingSpec("stored_late", MEDIUM, tuple(c.strip() for c in clip.deadline_cite.split(",")
                                                                   if c.strip()) or ("",),
                                     key=f"r{clip.record_id}", record_id=clip.record_id, officer_id=clip.officer_id))
    found.extend(_subjects(facts))
    found.extend(_devices(facts, tolerance))
    return Verdict(required=required, findings=tuple(found), due=ended and due)


def _window(facts: ActivityFacts, row: ChecklistRow) -> tuple[dt.datetime, dt.datetime, list[str]]:
    """Where the row's recording must run: from its start moment to its end moment (the activity's own start and end,
    or moments marked inside it, e.g. 制作文书开始 → 当事人签字结束). An unmarked moment falls back to the activity's
    edge, and is named so the officer can mark it."""
    unmarked: list[str] = []

    def at(moment, edge: dt.datetime) -> dt.datetime:
        if moment.at in ("activity_start", "activity_end"):
            return edge
        marked = facts.moments.get(moment.at)
        if marked is None:
            unmarked.append(moment.text)
            return edge
        return marked

    return at(row.starts_at, facts.start), at(row.ends_at, facts.end), unmarked


def _coverage(facts: ActivityFacts, row: ChecklistRow, moving: list[Clip], tolerance: Tolerances,
              ended: bool) -> list[FindingSpec]:
    """From the row's start moment to its end moment, gaps explained by interruption notes (000/2/8-9, 000/2/12,
    001/2/4)."""
    triggers = rules.uninterrupted_triggers(facts.pack, _facts_for_rules(facts))
    strict = bool(triggers)
    allowed = tolerance.uninterrupted_gap if strict else tolerance.gap
    interruptions = facts.pack.interruptions
    gap_cites = tuple(dict.fromkeys(
        [c for t in triggers for c in t.cite]
        + [c for c in (interruptions.note_review.cite if interruptions and interruptions.note_review else [])]
        + [c for r in (interruptions.reasons if interruptions else []) for c in r.cite][:1]
    )) or tuple(row.cite)
    window_start, window_end, unmarked = _window(facts, row)
    spans = _merged(((c.start, c.end) for c in moving), allowed)
    found: list[FindingSpec] = []
    lead = facts.lead_officer_id
    holes: list[tuple[str, dt.datetime, dt.datetime]] = []
    if spans[0][0] - window_start > tolerance.edge:
        holes.append(("start_not_covered", window_start, spans[0][0]))
    # Inside named moments only the gaps between them count; over the whole activity every gap does.
    bounded = (window_start, window_end) != (facts.start, facts.end)
    for before, after in zip(spans, spans[1:], strict=False):
        if after[0] - before[1] <= allowed:
            continue
        if not bounded:
            holes.append(("gap", before[1], after[0]))
        elif before[1] < window_end and after[0] > window_start:
            holes.append(("gap", max(before[1], window_start), min(after[0], window_end)))
    if ended and window_end - spans[-1][1] > tolerance.edge:
        holes.append(("end_not_covered", spans[-1][1], window_end))
    for rule, start, end in holes:
        note = _covered_by_note(facts.notes, start, end, tolerance.gap)
        if note is not None and note.state == "approved":
            continue
        moment = {"start_not_covered": row.starts_at.text, "end_not_covered": row.ends_at.text}.get(rule, "")
        cites = gap_cites if rule == "gap" else tuple(row.cite)
        found.append(FindingSpec(
            rule, HIGH if strict else MEDIUM, cites, key=f"{start:%Y%m%d%H%M%S}", officer_id=lead,
            params={"from": _iso(start), "to": _iso(end), "minutes": round((end - start).total_seconds() / 60, 1),
                    "moment": moment, "uninterrupted": strict, "unmarked": unmarked,
                    "note_id": note.note_id if note else None, "note_state": note.state if note else ""},
        ))
    return found


def _subjects(facts: ActivityFacts) -> list[FindingSpec]:
    rule = facts.pack.recording.subject_rule if facts.pack.recording else None
    if rule is None:
        return []
    return [
        FindingSpec("recorder_unqualified", HIGH, tuple(rule.cite), key=f"r{clip.record_id}",
                    record_id=clip.record_id, officer_id=clip.officer_id)
        for clip in facts.clips
        if clip.kind != "document" and clip.officer_id is not None
        and clip.officer_id not in facts.qualified_officer_ids
    ]


def _devices(facts: ActivityFacts, tolerance: Tolerances) -> list[FindingSpec]:
    """Pre-use check before the first clip of each device, one finding per item that failed, device clock within
    tolerance (000/2/7, 004/20)."""
    devices = facts.pack.devices
    if devices is None:
        return []
    found: list[FindingSpec] = []
    first_use: dict[int, Clip] = {}
    for clip in sorted((c for c in facts.clips if c.device_id and c.start), key=lambda c: c.start):
        first_use.setdefault(clip.device_id, clip)
    items = {item.id: item for item in devices.pre_use_checks}
    if items:
        cites = tuple(dict.fromkeys(c for item in items.values() for c in item.cite))
        for device_id, clip in first_use.items():
            window_start = clip.start - tolerance.pre_use_window
            checks = sorted((k for k in facts.device_checks if k.device_id == device_id
                             and window_start <= k.checked_at <= clip.start + tolerance.edge),
                            key=lambda k: k.checked_at)
            if any(k.passed for k in checks):
                continue
            if not checks:
                found.append(FindingSpec("pre_use_check_missing", LOW, cites, key=f"d{device_id}",
                                         record_id=clip.record_id, officer_id=clip.officer_id,
                                         params={"device_id": device_id}))
                continue
            # The device was used after a check it failed: each failed item is its own finding, under its article.
            for item_id in checks[-1].failed:
                item = items.get(item_id)
                found.append(FindingSpec(
                    "pre_use_item_failed", MEDIUM, tuple(item.cite) if item else cites,
                    key=f"d{device_id}:{item_id}", record_id=clip.record_id, officer_id=clip.officer_id,
                    params={"device_id": device_id, "item": item_id, "item_label": item.label if item else item_id}))
    clock_item = next((item for item in devices.pre_use_checks if item.clock), None)
    if clock_item is not None:
        for clip in facts.clips:
            if clip.skew_seconds is not None and abs(clip.skew_seconds) > tolerance.clock.total_seconds():
                found.append(FindingSpec("clock_off", LOW, tuple(clock_item.cite), key=f"r{clip.record_id}",
                                         record_id=clip.record_id, officer_id=clip.officer_id,
                                         params={"skew_seconds": clip.skew_seconds}))
    # The device's time set correctly (000/2/7) or, where the pack asks only for the recording time to be filed
    # (001/2/8, 004/17), that article: a clip whose own times contradict each other answers to either.
    classification = facts.pack.ingest.classification if facts.pack.ingest is not None else None
    time_cites = tuple(clock_item.cite) if clock_item is not None else \
        tuple(classification.cite) if classification is not None and classification.cite else ()
    if time_cites:
        for clip in facts.clips:
            if clip.time_disagreement:
                found.append(FindingSpec("clock_sources_disagree", LOW, time_cites, key=f"t{clip.record_id}",
                                         record_id=clip.record_id, officer_id=clip.officer_id,
                                         params=dict(clip.time_disagreement)))
    if devices.usage_ledger is not None:
        for clip in facts.clips:
            holders = facts.holders.get(clip.device_id or 0)
            if holders is not None and clip.officer_id and clip.officer_id not in holders:
                found.append(FindingSpec("device_not_handed_out", LOW, tuple(devices.usage_ledger.cite),
                                         key=f"r{clip.record_id}", record_id=clip.record_id,
                                         officer_id=clip.officer_id, params={"device_id": clip.device_id}))
    return found
