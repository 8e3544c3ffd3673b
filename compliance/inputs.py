"""Gathering the facts for many activities with a fixed number of queries, whatever their number of clips."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from cases.queries import activity_fact_rows
from compliance.engine import ActivityFacts, Clip, DeviceCheck, Note, Tolerances
from compliance.models import InterruptionNote
from devices.services import checks_between, hand_overs_between
from evidence.classify import corrected_span
from evidence.queries import clip_rows
from org.services import enforcement_qualifications, units_of
from policy import current, rules
from policy.schema import PolicyPack


def tolerances(pack: PolicyPack | None = None) -> Tolerances:
    """The pack's own numbers (``numbers``), each missing one the deployment's default."""
    return Tolerances(
        gap=dt.timedelta(seconds=rules.number(pack, "gap_tolerance_seconds")),
        uninterrupted_gap=dt.timedelta(seconds=rules.number(pack, "uninterrupted_gap_seconds")),
        edge=dt.timedelta(seconds=rules.number(pack, "coverage_edge_seconds")),
        clock=dt.timedelta(seconds=rules.number(pack, "clock_tolerance_seconds")),
        pre_use_window=dt.timedelta(hours=rules.number(pack, "pre_use_check_hours")),
    )


def _clip(row: dict) -> Clip:
    start, end = corrected_span(row["recorded_start"], row["recorded_end"], row["clock_skew_seconds"]) or (None, None)
    return Clip(record_id=row["id"], kind=row["kind"], start=start, end=end, officer_id=row["officer_id"],
                device_id=row["device_id"], skew_seconds=row["clock_skew_seconds"], late=row["late"],
                deadline_cite=row["deadline_cite"], time_disagreement=row.get("time_disagreement") or None)


def _aware(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _qualified(periods: list[tuple[dt.date, dt.date]], day: dt.date) -> bool:
    return any(start <= day <= end for start, end in periods)


def load(activity_ids: list[int], tolerance: Tolerances | None = None
         ) -> tuple[list[ActivityFacts], dict[int, dict]]:
    """Facts per activity, and what its stored status needs (agency, unit, lead officer, category, start).

    Each activity is judged by the pack version it was created under, with that pack's numbers; ``tolerance`` only
    widens the period read for device checks."""
    rows = activity_fact_rows(activity_ids)
    packs = current.Versions()
    own = {row["id"]: tolerances(packs.get(row["agency__code"], row["pack_version"])) for row in rows}
    reach = max([t.pre_use_window for t in own.values()] + ([tolerance.pre_use_window] if tolerance else []),
                default=dt.timedelta(0))
    edge = max([t.edge for t in own.values()] + ([tolerance.edge] if tolerance else []), default=dt.timedelta(0))
    clips: dict[int, list[Clip]] = defaultdict(list)
    for row in clip_rows(activity_ids):
        clips[row["activity_id"]].append(_clip(row))
    notes: dict[int, list[Note]] = defaultdict(list)
    for note_id, activity_id, state, start, end, kind, reason in InterruptionNote.objects.filter(
            activity_id__in=activity_ids).values_list("id", "activity_id", "state", "gap_start", "gap_end", "kind",
                                                      "reason"):
        notes[activity_id].append(Note(note_id, state, start, end, kind=kind, ground=reason))
    people = {user_id for row in rows for user_id, _part in row["participants"]}
    people |= {c.officer_id for cs in clips.values() for c in cs if c.officer_id}
    qualifications = enforcement_qualifications(list(people))
    units = units_of(list(people))
    device_ids = sorted({c.device_id for cs in clips.values() for c in cs if c.device_id})
    checks: dict[int, list[DeviceCheck]] = defaultdict(list)
    tracked: set[int] = set()
    hand_overs: dict[int, list[tuple[int, dt.datetime, dt.datetime | None]]] = defaultdict(list)
    if device_ids:
        starts = [c.start for cs in clips.values() for c in cs if c.start]
        ends = [c.end for cs in clips.values() for c in cs if c.end]
        window = (min(starts) - reach, max(ends) + edge)
        for device_id, at, passed, failed in checks_between(device_ids, *window):
            checks[device_id].append(DeviceCheck(device_id, at, passed, failed))
        spans = [row["actual_start"] or row["planned_start"] for row in rows]
        tracked, found = hand_overs_between(device_ids, min(spans + starts), max(ends))
        for device_id, holder_id, out_at, back_at in found:
            hand_overs[device_id].append((holder_id, out_at, back_at))
    tz = timezone.get_default_timezone()
    facts: list[ActivityFacts] = []
    extra: dict[int, dict] = {}
    for row in rows:
        pack = packs.get(row["agency__code"], row["pack_version"])
        mine_tolerance = own[row["id"]]
        start = row["actual_start"] or row["planned_start"]
        end = row["actual_end"] or row["planned_end"]
        day = start.astimezone(tz).date()
        officers = [user_id for user_id, part in row["participants"] if part == "officer"]
        lead = officers[0] if officers else None
        mine = clips.get(row["id"], [])
        involved = {c.officer_id for c in mine if c.officer_id} | set(officers)
        qualified = frozenset(u for u in involved if _qualified(qualifications.get(u, []), day))
        devices_used = sorted({c.device_id for c in mine if c.device_id})
        holders = {
            d: frozenset(h for h, out_at, back_at in hand_overs[d]
                         if out_at <= end and (back_at is None or back_at >= start))
            for d in devices_used if d in tracked
        }
        due = rules.storage_due(pack, recorded_end=end, activity_end=end,
                                remote_or_continuous=row["remote_or_continuous"], returned_to_unit_at=None, tz=tz)
        flags = frozenset(row["properties"] or ())
        moments = {name: _aware(value) for name, value in (row["moments"] or {}).items()}
        facts.append(ActivityFacts(
            activity_id=row["id"], pack=pack, stage=row["stage"], category=row["category"], flags=flags,
            start=start, end=end, lead_officer_id=lead, qualified_officer_ids=qualified, clips=tuple(mine),
            notes=tuple(notes.get(row["id"], ())),
            device_checks=tuple(k for d in devices_used for k in checks.get(d, ())
                                if start - mine_tolerance.pre_use_window <= k.checked_at
                                <= end + mine_tolerance.edge),
            holders=holders, recordings_due_at=due.due_at, case_marks=row["case_marks"], moments=moments,
        ))
        extra[row["id"]] = {"agency_id": row["agency_id"], "agency_code": row["agency__code"], "officer_id": lead,
                            "unit_id": units.get(lead), "category": row["category"], "start": start, "units": units}
    return facts, extra
