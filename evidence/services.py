"""Action functions on filed records: linking, classification, views, stations and docking. Each writes its event."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from authz import scopes
from authz.capabilities import can
from authz.scopes import allowed
from evidence import classify
from evidence.derivatives import stored_object
from evidence.models import Blob, DockingReport, FilenamePattern, Record, Station
from evidence.store import store_named
from ledger.events import SYSTEM, RequestContext, changed, record_denial, record_event, snapshot
from ledger.wording import Words
from org.models import Agency, Unit, User

EDITABLE_FIELDS = ["unit", "device", "officer", "case", "party", "usage", "recorded_start", "recorded_end",
                   "remote_reason", "returned_to_unit_at", "confidentiality", "conclusive"]


def _locked(record: Record) -> Record:
    # Lock only the record's own row: PostgreSQL refuses FOR UPDATE on the nullable side of the activity join.
    locked = Record.objects.select_for_update(of=("self",)).select_related("agency", "blob", "activity")
    return locked.get(pk=record.pk)


def link_record(record: Record, activity, *, actor: User, context: RequestContext = SYSTEM) -> Record:
    if activity.agency_id != record.agency_id:
        raise ValidationError(_("The activity belongs to another agency."))
    with transaction.atomic():
        record = _locked(record)
        before = snapshot(record, ["activity", "case", "link_state", "late", "due_at"])
        record.activity = activity
        record.link_state = Record.LinkState.MANUAL
        if record.case_id is None:
            record.case = activity.case
        classify.link_and_judge(record)
        record.save()
        after = snapshot(record, ["activity", "case", "link_state", "late", "due_at"])
        record_event("record.link", actor=actor, obj=record, context=context, before=before, after=after)
    return record


def link_records(records: list[Record], activity, *, actor: User, context: RequestContext = SYSTEM) -> int:
    """Link several unlinked records to one activity at once (clips filed before the activity was recorded)."""
    with transaction.atomic():
        for record in records:
            link_record(record, activity, actor=actor, context=context)
    return len(records)


def unlink_record(record: Record, *, actor: User, reason: str, context: RequestContext = SYSTEM) -> Record:
    if not reason.strip():
        raise ValidationError(_("Say why the link is wrong."))
    with transaction.atomic():
        record = _locked(record)
        before = snapshot(record, ["activity", "link_state", "late", "due_at"])
        record.activity = None
        record.link_state = Record.LinkState.UNMATCHED
        classify.judge_deadline(record)
        record.save()
        record_event("record.unlink", actor=actor, obj=record, context=context, before=before,
                     after=snapshot(record, ["activity", "link_state", "late", "due_at"]), detail={"reason": reason})
    return record


def _refuse(verb: str, actor: User, record: Record, field: str, message: Any, context: RequestContext):
    # A lazy translation: the ledger keeps its message id, each page translates it (ledger.wording).
    record_denial(verb, actor=actor, obj=record, context=context, detail={"reason": message})
    return ValidationError({field: [message]})


def _classify_problem(record: Record, data: dict, actor: User) -> tuple[str, str, Words] | None:
    """(verb, field, message) when ``actor`` may not make this change: only those who may classify the record do;
    a record goes only into a case the actor may file into (an officer: one they handle), since filing another's
    record into one's own case would open it to oneself; a mark, once set, is lowered only by the security
    administrator (000/1/10)."""
    if not can(actor, "record.file") or not allowed(record, actor, "classify"):
        return "record.classify", "__all__", gettext_lazy("You may not classify this record.")
    case = data.get("case")
    if "case" in data and case is not None and case.pk != record.case_id \
            and not scopes.scoped("cases.case", actor, "edit").filter(pk=case.pk).exists():
        return "record.classify", "case", gettext_lazy("Records are filed into cases you handle.")
    if "confidentiality" in data and record.confidentiality and data["confidentiality"] != record.confidentiality:
        return "record.lower_mark", "confidentiality", gettext_lazy(
            "Only the security administrator lowers a confidentiality mark, and says why (000/1/10).")
    return None


def classify_record(record: Record, data: dict, *, actor: User, context: RequestContext = SYSTEM) -> Record:
    """Complete or correct the classification; the original content is never touched."""
    if problem := _classify_problem(Record.objects.get(pk=record.pk), data, actor):
        verb, field, message = problem
        raise _refuse(verb, actor, record, field, message, context)
    with transaction.atomic():
        record = _locked(record)
        before = snapshot(record, EDITABLE_FIELDS)
        for name, value in data.items():
            if name not in EDITABLE_FIELDS:
                raise ValidationError(_("%(field)s cannot be changed here.") % {"field": name})
            setattr(record, name, value)
        if record.recorded_end and record.recorded_start and record.recorded_end < record.recorded_start:
            raise ValidationError({"recorded_end": [_("The recording end is before its start.")]})
        for related in ("unit", "device", "officer", "case"):
            value = getattr(record, related)
            if value is not None and getattr(value, "agency_id", record.agency_id) != record.agency_id:
                raise ValidationError({related: [_("This belongs to another agency.")]})
        if record.activity_id is None and record.link_state != Record.LinkState.NOT_APPLICABLE:
            classify.auto_link(record)
        classify.judge_deadline(record)
        record.save()
        old, new = changed(before, snapshot(record, EDITABLE_FIELDS))
        if new:
            record_event("record.classify", actor=actor, obj=record, context=context, before=old, after=new)
    return record


def record_view(record: Record, *, actor: User, context: RequestContext = SYSTEM, what: str = "view",
                basis: dict | None = None) -> int:
    """A view starts; returns the event's sequence number, which the stream token carries. A view under an access
    grant or for a sampling review names it (``basis``: ``{"grant": id}``, ``{"review": id}``), so the register
    shows what the look served."""
    detail = {"sha256": record.blob.sha256, **(basis or {})}
    with transaction.atomic():
        event = record_event(f"record.{what}", actor=actor, obj=record, context=context, detail=detail)
    return event.seq


def lower_record_mark(record: Record, *, reason: str, actor: User, context: RequestContext = SYSTEM) -> Record:
    """The security administrator lowers a record's confidentiality mark, with a reason (000/1/10)."""
    if not can(actor, "record.lower_mark") or not allowed(record, actor, "lower_mark"):
        raise _refuse("record.lower_mark", actor, record, "__all__", gettext_lazy(
            "Only the security administrator lowers a confidentiality mark, and says why (000/1/10)."), context)
    if not reason.strip():
        raise _refuse("record.lower_mark", actor, record, "reason", gettext_lazy("Say why the mark is lowered."),
                      context)
    with transaction.atomic():
        locked = _locked(record)
        before = locked.confidentiality
        locked.confidentiality = ""
        locked.save(update_fields=["confidentiality"])
        record_event("record.lower_mark", actor=actor, obj=locked, context=context,
                     before={"confidentiality": before}, after={"confidentiality": ""},
                     detail={"reason": reason.strip()})
    return locked


def create_station(agency: Agency, *, name: str, unit: Unit | None = None, actor: User | None = None,
                   context: RequestContext = SYSTEM) -> tuple[Station, str]:
    """Register a collection station; the returned token is shown once and only its hash is kept."""
    token = secrets.token_urlsafe(32)
    station = Station(agency=agency, unit=unit, name=name, token_hash=token_hash(token))
    station.full_clean()
    with transaction.atomic():
        station.save()
        record_event("station.create", actor=actor, obj=station, context=context, after={"name": name})
    return station, token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def station_for_token(token: str) -> Station | None:
    return Station.objects.filter(token_hash=token_hash(token), active=True).select_related("agency").first()


def report_docking(device, *, device_time: dt.datetime, reference_time: dt.datetime | None = None,
                   station: Station | None = None, actor: User | None = None,
                   context: RequestContext = SYSTEM) -> DockingReport:
    reference_time = reference_time or timezone.now()
    skew = round((device_time - reference_time).total_seconds())
    with transaction.atomic():
        report = DockingReport.objects.create(device=device, station=station, device_time=device_time,
                                              reference_time=reference_time, skew_seconds=skew)
        record_event("device.dock", actor=actor, obj=device, context=context, actor_label=str(station or ""),
                     detail={"device_time": device_time.isoformat(), "reference_time": reference_time.isoformat(),
                             "skew_seconds": skew})
    return report


def disable_station(station: Station, *, actor: User | None = None, context: RequestContext = SYSTEM) -> None:
    with transaction.atomic():
        Station.objects.filter(pk=station.pk).update(active=False)
        record_event("station.disable", actor=actor, obj=station, context=context, before={"active": True},
                     after={"active": False})


def add_name_pattern(*, brand: str, model: str, regex: str, time_format: str = "%Y%m%d%H%M%S", note: str = "",
                     actor: User | None = None, context: RequestContext = SYSTEM):
    """A camera model's file-name pattern; refused unless it compiles and names what it can tell."""
    import re

    try:
        compiled = re.compile(regex)
    except re.error as exc:
        raise ValidationError({"regex": [_("The pattern is not a valid regular expression: %(error)s")
                                         % {"error": exc}]}) from exc
    known = {"serial", "officer", "start", "end", "seq"}
    if not set(compiled.groupindex) & known or set(compiled.groupindex) - known:
        raise ValidationError({"regex": [_("Name the parts with groups among: serial, officer, start, end, seq.")]})
    with transaction.atomic():
        pattern = FilenamePattern.objects.create(brand=brand, model=model, regex=regex, time_format=time_format,
                                                 note=note)
        record_event("name_pattern.add", actor=actor, obj=pattern, context=context,
                     after={"brand": brand, "model": model, "regex": regex, "time_format": time_format})
    return pattern


def _purgeable_blobs(record: Record) -> list:
    """The stored objects a purge of ``record`` removes: its derivatives, and its original unless a record not being
    purged (a document filed on two cases) still holds it."""
    others = Record.objects.filter(blob=record.blob, purged_at__isnull=True).exclude(pk=record.pk).exists()
    derivatives = [d.blob for d in record.derivatives.select_related("blob")]
    return derivatives + ([] if others else [record.blob])


def content_locked(record: Record) -> bool:
    """Whether the store itself still refuses to delete some of the record's objects (S3 Object Lock)."""
    return any(not store_named(blob.backend).deletable(stored_object(blob))
               for blob in _purgeable_blobs(record) if blob.purged_at is None)


def mark_purged(record: Record, when: dt.datetime) -> None:
    """The record becomes a tombstone: metadata stays, content is no longer served. Called by the purge in the
    transaction that writes the tombstone and its event, before any byte is removed."""
    Record.objects.filter(pk=record.pk).update(purged_at=when)
    record.purged_at = when


def erase_content(record: Record) -> list[str]:
    """Remove a purged record's bytes from the store; returns the keys removed. Content shared with a record not
    being purged stays. Only the approved purge calls this, after its tombstone and event are written (no event
    here), and it may be called again after a crash: each object is marked gone as soon as it is, and an object
    already gone is not an error."""
    if record.purged_at is None:
        raise ValidationError("erase_content: the record has no tombstone yet")
    removed = []
    for blob in _purgeable_blobs(record):
        if blob.purged_at is not None:
            continue
        store_named(blob.backend).delete(stored_object(blob))
        Blob.objects.filter(pk=blob.pk, purged_at__isnull=True).update(purged_at=timezone.now())
        removed.append(blob.key)
    return removed
