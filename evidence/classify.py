"""Filling in what a record is (001/2/8, 001/3/5): from the file's name and media, the link to its activity, the
storage deadline it was judged against, and which classification fields are still missing."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from cases.queries import activities_overlapping
from devices.services import device_by_serial
from evidence import timesources
from evidence.models import FilenamePattern, Record
from evidence.naming import parse_name
from evidence.probe import Probe
from ledger.events import snapshot
from org.services import staff_by_number
from policy import current, rules
from policy.vocabulary import ClassificationField, RecordKind, RecordUsage

RECORDING_KINDS = frozenset({RecordKind.AV, RecordKind.AUDIO, RecordKind.PHOTO})
# 001/2/8 lists these when an agency's pack names none of its own.
DEFAULT_FIELDS = [ClassificationField.AGENCY, ClassificationField.UNIT, ClassificationField.DEVICE,
                  ClassificationField.OFFICER, ClassificationField.RECORDED_AT, ClassificationField.CASE,
                  ClassificationField.PARTY, ClassificationField.STORAGE_DATE]


def name_patterns(device) -> list[tuple[str, str]]:
    """The device model's own patterns first, then the brand's, then every other pattern known."""
    rows = list(FilenamePattern.objects.all())
    if device is not None:
        def rank(row: FilenamePattern) -> int:
            if row.brand == device.brand and row.model == device.model:
                return 0
            return 1 if row.brand == device.brand and not row.model else 2
        rows.sort(key=rank)
    return [(row.regex, row.time_format) for row in rows]


def fill_from_name_and_media(record: Record, name: str, found: Probe) -> None:
    """Device, officer and recording time from the name and the content; the time by the rule of
    ``evidence.timesources``, with every source kept and any disagreement measured."""
    parsed = parse_name(name, name_patterns(record.device))
    if parsed is not None:
        if record.device is None and parsed.serial:
            record.device = device_by_serial(record.agency, parsed.serial)
        if record.officer is None and parsed.officer:
            record.officer = staff_by_number(record.agency, parsed.officer)
    verdict = timesources.decide(parsed.start if parsed else None, parsed.end if parsed else None, found.times,
                                 found.duration_seconds, dt.timedelta(seconds=settings.COMPLIANCE_CLOCK_SECONDS))
    record.recorded_start, record.recorded_end = verdict.start, verdict.end
    record.recorded_time_source = verdict.source
    record.time_sources = [reading.as_json() for reading in verdict.readings]
    record.time_conflict_seconds = verdict.disagreement.seconds if verdict.disagreement else None
    if record.unit is None:
        record.unit = getattr(record.officer, "unit", None) or getattr(record.device, "unit", None)


def corrected_span(start: dt.datetime | None, end: dt.datetime | None,
                   skew_seconds: int | None) -> tuple[dt.datetime, dt.datetime] | None:
    """A span on the reference clock: device times corrected by the skew reported at docking."""
    if start is None:
        return None
    skew = dt.timedelta(seconds=skew_seconds or 0)
    return start - skew, (end or start) - skew


def true_span(record: Record) -> tuple[dt.datetime, dt.datetime] | None:
    return corrected_span(record.recorded_start, record.recorded_end, record.clock_skew_seconds)


def auto_link(record: Record) -> None:
    """Link to the one activity of the same officer whose time overlaps the recording; otherwise say why not."""
    if record.activity_id is not None:
        if record.link_state not in (Record.LinkState.AUTO, Record.LinkState.MANUAL):
            record.link_state = Record.LinkState.MANUAL
    elif record.kind in (RecordKind.DOCUMENT, RecordKind.UNREADABLE):
        # An unreadable file is kept but is no recording of anything: never linked, never coverage.
        record.link_state = Record.LinkState.NOT_APPLICABLE
    else:
        span = true_span(record)
        if span is None or record.officer_id is None:
            record.link_state = Record.LinkState.UNMATCHED
        else:
            tolerance = dt.timedelta(minutes=settings.EVIDENCE_LINK_TOLERANCE_MINUTES)
            found = list(activities_overlapping(record.agency_id, span[0] - tolerance, span[1] + tolerance,
                                                officer_id=record.officer_id)[:2])
            if len(found) == 1:
                record.activity = found[0]
                record.link_state = Record.LinkState.AUTO
            else:
                record.link_state = Record.LinkState.AMBIGUOUS if found else Record.LinkState.UNMATCHED
    if record.activity is not None and record.case_id is None and record.activity.case_id is not None:
        record.case = record.activity.case
    if record.case is not None and not record.party:
        record.party = record.case.party_name


def judge_deadline(record: Record) -> None:
    """The storage deadline of the agency's pack (000/2/13, 001/2/8, 001/3/6, 004/11, 002/音像/13)."""
    pack = current.version_of(record.agency, record.pack_version)
    activity = record.activity
    span = true_span(record)
    due = rules.storage_due(
        pack,
        recorded_end=span[1] if span else None,
        activity_end=activity.actual_end or activity.planned_end if activity is not None else None,
        remote_or_continuous=bool(record.remote_reason) or bool(activity is not None and activity.remote_or_continuous),
        returned_to_unit_at=record.returned_to_unit_at,
        tz=timezone.get_default_timezone(),
    )
    stored_at = record.stored_at or timezone.now()
    record.due_at = due.due_at
    record.deadline_rule = due.rule.id if due.rule else ""
    record.deadline_cite = ", ".join(due.rule.cite) if due.rule else ""
    record.late = bool(due.due_at and record.kind in RECORDING_KINDS and stored_at >= due.due_at)


def link_and_judge(record: Record) -> None:
    auto_link(record)
    judge_deadline(record)


SNAPSHOT_FIELDS = ["kind", "original_name", "source_path", "channel", "unit", "device", "officer", "case", "activity",
                   "link_state", "party", "usage", "recorded_start", "recorded_end", "clock_skew_seconds", "playable",
                   "late", "due_at", "deadline_cite", "remote_reason", "returned_to_unit_at", "unreadable_reason",
                   "recorded_time_source", "time_sources", "time_conflict_seconds", "stored_at"]


def event_snapshot(record: Record) -> dict:
    return {**snapshot(record, SNAPSHOT_FIELDS), "sha256": record.blob.sha256, "sm3": record.blob.sm3,
            "size": record.blob.size}


def classification_fields(pack) -> list[str]:
    configured = pack.ingest.classification if pack.ingest else None
    return [str(f) for f in configured.fields] if configured else [str(f) for f in DEFAULT_FIELDS]


def missing_condition(fields: list[str]) -> Q:
    """Records lacking any of ``fields``. A patrol recording has no case or party to name."""
    not_patrol = ~Q(usage=RecordUsage.PATROL)
    recording = Q(kind__in=RECORDING_KINDS)
    checks = {
        ClassificationField.UNIT: Q(unit__isnull=True),
        ClassificationField.DEVICE: Q(device__isnull=True) & recording,
        ClassificationField.OFFICER: Q(officer__isnull=True),
        ClassificationField.RECORDED_AT: Q(recorded_start__isnull=True) & recording,
        ClassificationField.RECORD_DATE: Q(recorded_start__isnull=True) & recording,
        ClassificationField.CASE: Q(case__isnull=True) & not_patrol,
        ClassificationField.PARTY: Q(party="") & not_patrol,
    }
    condition = Q(pk__in=[])
    for name in fields:
        if name in checks:
            condition |= checks[name]
    return condition


def missing_fields(record: Record, fields: list[str]) -> list[str]:
    patrol = record.usage == RecordUsage.PATROL
    document = record.kind not in RECORDING_KINDS
    present = {
        ClassificationField.UNIT: record.unit_id is not None,
        ClassificationField.DEVICE: record.device_id is not None or document,
        ClassificationField.OFFICER: record.officer_id is not None,
        ClassificationField.RECORDED_AT: record.recorded_start is not None or document,
        ClassificationField.RECORD_DATE: record.recorded_start is not None or document,
        ClassificationField.CASE: record.case_id is not None or patrol,
        ClassificationField.PARTY: bool(record.party) or patrol,
    }
    return [name for name in fields if not present.get(name, True)]
