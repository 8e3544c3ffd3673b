"""The one ingest path: every original, from any channel, enters through ``ingest_file``.

Order matters for crash safety. The file is copied to staging while both hashes are computed, checked, probed
and committed to the store; only then does one transaction create the record and write its event. A crash before
that transaction leaves no record (at most an unreferenced object, which the next run of the same file adopts),
so re-running an import finishes it and never files anything twice.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evidence import classify
from evidence.hashing import Digests, hash_stream
from evidence.models import Blob, DockingReport, Record, Station
from evidence.naming import BadName, kind_for, safe_name
from evidence.probe import Probe, probe
from evidence.store import StorageFull, default_store
from evidence.tasks import make_derivatives
from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from org.models import Agency, Unit, User
from policy.registry import registry
from policy.vocabulary import RecordKind


class IngestRefused(Exception):
    """The file was not filed; the message says why in words the sender can act on. Nothing else was lost."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Origin:
    """Who and what brought the file, and what the sender says about it."""

    agency: Agency
    channel: str
    ingested_by: User | None = None
    station: Station | None = None
    unit: Unit | None = None
    device: object | None = None
    officer: User | None = None
    case: object | None = None
    activity: object | None = None
    party: str = ""
    usage: str = ""
    remote_reason: str = ""
    returned_to_unit_at: dt.datetime | None = None
    declared: dict[str, str] = field(default_factory=dict)
    context: RequestContext = SYSTEM


@dataclass(frozen=True)
class Outcome:
    record: Record
    created: bool

    @property
    def message(self) -> str:
        if self.created:
            return _("Filed as record %(id)s.") % {"id": self.record.pk}
        return _("Identical content is already filed as record %(id)s; nothing was added.") % {"id": self.record.pk}


def ingest_file(source: Path | BinaryIO, name: str, origin: Origin, *, source_path: str = "") -> Outcome:
    try:
        display_name = safe_name(name)
    except BadName as exc:
        _refuse(origin, name, str(exc), "bad_name")
    kind = kind_for(display_name)
    if kind is None:
        _refuse(origin, display_name, _("%(name)s: this file type is not accepted.") % {"name": display_name},
                "unknown_type")
    store = default_store()
    staging, staged = store.new_staging_file()
    try:
        digests = _copy(source, staging, display_name)
        if digests.size == 0:
            _refuse(origin, display_name, _("%(name)s is empty (0 bytes).") % {"name": display_name}, "empty")
        _check_declared(origin, display_name, digests)
        duplicate = _duplicate_of(origin, digests, kind)
        if duplicate is not None:
            _record_duplicate(origin, duplicate, display_name)
            return Outcome(duplicate, created=False)
        found = probe(staged, kind)
        stored, _new = store.commit(staged, digests)
    except StorageFull:
        _refuse(origin, display_name, _("The archive's disk is full; %(name)s was not filed. The original is "
                                        "untouched; try again once space is freed.") % {"name": display_name},
                "disk_full")
    finally:
        with suppress(OSError):
            staging.close()
        staged.unlink(missing_ok=True)
    return _file(origin, display_name, source_path, kind, digests, stored, found)


def _copy(source: Path | BinaryIO, staging: BinaryIO, name: str) -> Digests:
    try:
        if isinstance(source, (str, Path)):
            with open(source, "rb") as handle:
                digests = hash_stream(handle, staging)
        else:
            digests = hash_stream(source, staging)
        staging.flush()
        os.fsync(staging.fileno())
        return digests
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise StorageFull(str(exc)) from exc
        raise


def _refuse(origin: Origin, name: str, message: str, code: str) -> None:
    record_denial("record.ingest", actor=origin.ingested_by, agency_code=origin.agency.code, context=origin.context,
                  actor_label=str(origin.station or ""), detail={"file": name, "reason": code, "message": message})
    raise IngestRefused(message, code)


def _check_declared(origin: Origin, name: str, digests: Digests) -> None:
    actual = digests.as_dict()
    for algorithm, declared in origin.declared.items():
        if not declared:
            continue
        if algorithm not in actual:
            _refuse(origin, name, _("%(name)s: unknown hash algorithm %(alg)s.") % {"name": name, "alg": algorithm},
                    "unknown_algorithm")
        if declared.strip().lower() != actual[algorithm]:
            _refuse(origin, name, _("%(name)s: the %(alg)s hash sent with the file does not match its content; "
                                    "the file was changed or damaged on the way. It was not filed.")
                    % {"name": name, "alg": algorithm.upper()}, "hash_mismatch")


def _duplicate_of(origin: Origin, digests: Digests, kind: str) -> Record | None:
    """Recordings are filed once per agency; a written record may be filed again on another case."""
    blob_id = Blob.objects.filter(sha256=digests.sha256).values_list("pk", flat=True).first()
    if blob_id is None:  # new content, the usual case: one indexed lookup
        return None
    records = Record.objects.filter(agency=origin.agency, blob_id=blob_id)
    if kind == RecordKind.DOCUMENT:
        records = records.filter(case=origin.case)
    return records.order_by("pk").first()


def _record_duplicate(origin: Origin, existing: Record, name: str) -> None:
    with transaction.atomic():
        record_event("record.duplicate", actor=origin.ingested_by, obj=existing, context=origin.context,
                     actor_label=str(origin.station or ""), detail={"file": name, "channel": origin.channel})


def _file(origin: Origin, name: str, source_path: str, kind: str, digests: Digests, stored, found: Probe) -> Outcome:
    pack = registry().in_force(origin.agency.pack_code)
    record = Record(
        agency=origin.agency, unit=origin.unit, device=origin.device, officer=origin.officer, case=origin.case,
        activity=origin.activity, party=origin.party, usage=origin.usage, kind=kind, original_name=name,
        source_path=source_path[:1024], channel=origin.channel, ingested_by=origin.ingested_by,
        station=origin.station, remote_reason=origin.remote_reason, returned_to_unit_at=origin.returned_to_unit_at,
        media=found.info, playable=found.playable, pack_version=pack.version,
        probe_error=_("The file could not be read as media: %(error)s") % {"error": found.error} if found.error else "",
    )
    classify.fill_from_name_and_media(record, name, found)
    if record.device_id:
        last_docking = DockingReport.objects.filter(device_id=record.device_id).first()
        record.clock_skew_seconds = last_docking.skew_seconds if last_docking else None
    try:
        with transaction.atomic():
            blob, _created = Blob.objects.get_or_create(
                sha256=digests.sha256,
                defaults={"sm3": digests.sm3, "size": digests.size, "backend": stored.backend, "key": stored.key,
                          "version_id": stored.version_id},
            )
            record.blob = blob
            record.stored_at = timezone.now()
            classify.link_and_judge(record)
            record.save()
            record_event("record.ingest", actor=origin.ingested_by, obj=record, context=origin.context,
                         actor_label=str(origin.station or ""), after=classify.event_snapshot(record))
    except IntegrityError:
        # Another worker filed the same content at the same moment; theirs stands.
        existing = _duplicate_of(origin, digests, kind)
        if existing is None:
            raise
        return Outcome(existing, created=False)
    transaction.on_commit(lambda: make_derivatives.enqueue(record.pk))
    return Outcome(record, created=True)
