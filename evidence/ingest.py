"""The one ingest path: every original, from any channel, enters through ``ingest_file``.

Each file is written once at most:

- a file the archive already owns on the store's disk (a finished browser upload, a station's spooled upload) is
  hashed where it lies and hard-linked into the store (``owned=True``): no copy at all;
- any other file (a camera dump, a station upload held in memory) is copied to staging while both hashes are
  computed. When a stored object of the same size exists, the file may be filed already, so it is first hashed
  without writing; it is copied only if the hashes are new. A file of a few megabytes (a photo) is simply read
  into memory once and written from there if new. A camera dump imported again therefore writes nothing.

What the file is comes from its content (``evidence.probe``), never from its name: a file no decoder reads is kept
byte for byte as an unreadable file, with the reason, and is never taken for a recording.

Order matters for crash safety. The content is hashed, checked, examined and committed to the store; only then does
one transaction create the record and write its event. A crash before that transaction leaves no record (at most
an unreferenced object, which the next run of the same file adopts, or a locked staging file that
``evidence.housekeeping`` removes once its process is gone), so re-running finishes the work and never files
anything twice.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evidence import classify
from evidence.hashing import CHUNK_SIZE, Digests, hash_file, hash_stream, read_sequentially
from evidence.models import Blob, DockingReport, Record, Station
from evidence.naming import BadName, check_name, escaped, kind_for, safe_name
from evidence.probe import Probe, probe
from evidence.store import ObjectStore, StorageFull, StoredObject, default_store
from evidence.tasks import make_derivatives
from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from org.models import Agency, Unit, User
from policy import current
from policy.vocabulary import RecordKind

# Up to this size a file is read into memory once and written from there only if its content is new.
SMALL_FILE = CHUNK_SIZE


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

    @property
    def accepts_documents(self) -> bool:
        """Officers upload case documents through the browser; stations and dump imports carry what cameras make."""
        return self.channel == Record.Channel.UPLOAD


@dataclass(frozen=True)
class Outcome:
    record: Record
    created: bool

    @property
    def quarantined(self) -> bool:
        return self.record.kind == RecordKind.UNREADABLE

    @property
    def status(self) -> str:
        """filed, duplicate or quarantined: what every channel reports for the file."""
        if self.quarantined:
            return "quarantined"
        return "filed" if self.created else "duplicate"

    @property
    def message(self) -> str:
        record = self.record
        if self.quarantined:
            reason = record.get_unreadable_reason_display()
            if self.created:
                return _("Kept unchanged as record %(id)s, but not filed as a recording: %(reason)s. It is listed "
                         "for the archivist as an unreadable file and counts for no activity.") % {
                    "id": record.pk, "reason": reason}
            return _("Identical content is already kept as record %(id)s, an unreadable file (%(reason)s); "
                     "nothing was added.") % {"id": record.pk, "reason": reason}
        if self.created:
            if record.kind == RecordKind.DOCUMENT:
                return _("Filed as record %(id)s, a written record.") % {"id": record.pk}
            return _("Filed as record %(id)s.") % {"id": record.pk}
        return _("Identical content is already filed as record %(id)s; nothing was added.") % {"id": record.pk}


def ingest_file(source: Path | BinaryIO, name: str, origin: Origin, *, source_path: str = "",
                owned: bool = False) -> Outcome:
    """File one original. ``owned``: ``source`` is a file of the archive's own (an upload's part file, a spooled
    station upload) that may become the stored object itself; the caller removes its name afterwards."""
    try:
        display_name = safe_name(name)
        check_name(source_path)
    except BadName as exc:
        _refuse(origin, name, str(exc), "bad_name")
    claimed = kind_for(display_name)
    if claimed is None:
        _refuse(origin, display_name, _("%(name)s: this file type is not accepted.") % {"name": display_name},
                "unknown_type")
    store = default_store()
    if owned and isinstance(source, Path) and store.adopts(source):
        return _ingest_in_place(store, source, display_name, claimed, origin, source_path)
    return _ingest_copy(store, source, display_name, claimed, origin, source_path)


def _ingest_in_place(store: ObjectStore, source: Path, name: str, claimed: str, origin: Origin,
                     source_path: str) -> Outcome:
    digests = hash_file(source)
    _check_content(origin, name, digests)
    duplicate = _duplicate_of(origin, digests)
    if duplicate is not None:
        return _record_duplicate(origin, duplicate, name)
    found = probe(source, claimed, documents=origin.accepts_documents)
    try:
        stored, _new = store.adopt(source, digests)
    except StorageFull:
        _refuse_disk_full(origin, name)
    return _file(origin, name, source_path, digests, stored, found)


def _ingest_copy(store: ObjectStore, source: Path | BinaryIO, name: str, claimed: str, origin: Origin,
                 source_path: str) -> Outcome:
    size = _size_of(source)
    if size == 0:
        _refuse(origin, name, _("%(name)s is empty (0 bytes).") % {"name": name}, "empty")
    if size is not None and size <= SMALL_FILE and _rereadable(source):
        return _ingest_small(store, source, name, claimed, origin, source_path)
    expected = None
    if size is not None and _rereadable(source) and Blob.objects.filter(size=size).exists():
        # Perhaps filed already: hash without writing anything, and copy only if the content is new.
        expected = _read(source, None)
        _check_content(origin, name, expected)
        duplicate = _duplicate_of(origin, expected)
        if duplicate is not None:
            return _record_duplicate(origin, duplicate, name)
    staging, staged = store.new_staging_file()
    try:
        digests = _read(source, staging)
        if expected is not None and digests != expected:
            _refuse(origin, name, _("%(name)s changed while it was being read; it was not filed. Copy it again "
                                    "once the device has finished writing it.") % {"name": name}, "changed")
        if expected is None:
            _check_content(origin, name, digests)
            duplicate = _duplicate_of(origin, digests)
            if duplicate is not None:
                return _record_duplicate(origin, duplicate, name)
        found = probe(staged, claimed, documents=origin.accepts_documents)
        stored, _new = store.commit(staged, digests)
    except StorageFull:
        _refuse_disk_full(origin, name)
    finally:
        with suppress(OSError):
            staging.close()  # releases the staging lock only now, when nothing more happens to the file
        staged.unlink(missing_ok=True)
    return _file(origin, name, source_path, digests, stored, found)


def _ingest_small(store: ObjectStore, source: Path | BinaryIO, name: str, claimed: str, origin: Origin,
                  source_path: str) -> Outcome:
    """A photo, a short clip, a document: read once into memory, hashed there, written only if new."""
    if isinstance(source, (str, Path)):
        content = Path(source).read_bytes()
    else:
        source.seek(0)
        content = source.read()
    digests = hash_stream(io.BytesIO(content))
    _check_content(origin, name, digests)
    duplicate = _duplicate_of(origin, digests)
    if duplicate is not None:
        return _record_duplicate(origin, duplicate, name)
    staging, staged = store.new_staging_file()
    try:
        try:
            staging.write(content)
            staging.flush()
            os.fsync(staging.fileno())
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise StorageFull(str(exc)) from exc
            raise
        del content
        found = probe(staged, claimed, documents=origin.accepts_documents)
        stored, _new = store.commit(staged, digests)
    except StorageFull:
        _refuse_disk_full(origin, name)
    finally:
        with suppress(OSError):
            staging.close()
        staged.unlink(missing_ok=True)
    return _file(origin, name, source_path, digests, stored, found)


def _size_of(source: Path | BinaryIO) -> int | None:
    if isinstance(source, (str, Path)):
        return os.stat(source).st_size
    size = getattr(source, "size", None)
    if isinstance(size, int):
        return size
    with suppress(AttributeError, OSError, ValueError):
        return os.fstat(source.fileno()).st_size
    return None


def _rereadable(source: Path | BinaryIO) -> bool:
    if isinstance(source, (str, Path)):
        return True
    try:
        return bool(source.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _read(source: Path | BinaryIO, staging: BinaryIO | None) -> Digests:
    """Both hashes, copying to ``staging`` when given (fsynced before it counts as stored)."""
    try:
        if isinstance(source, (str, Path)):
            if staging is None:
                return hash_file(source)
            with open(source, "rb") as handle:
                read_sequentially(handle)
                digests = hash_stream(handle, staging)
        else:
            if _rereadable(source):
                source.seek(0)
            digests = hash_stream(source, staging)
        if staging is not None:
            staging.flush()
            os.fsync(staging.fileno())
        return digests
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise StorageFull(str(exc)) from exc
        raise


def _refuse(origin: Origin, name: str, message: str, code: str) -> None:
    record_denial("record.ingest", actor=origin.ingested_by, agency_code=origin.agency.code, context=origin.context,
                  actor_label=str(origin.station or ""),
                  detail={"file": escaped(name), "reason": code, "message": message})
    raise IngestRefused(message, code)


def _refuse_disk_full(origin: Origin, name: str) -> None:
    _refuse(origin, name, _("The archive's disk is full; %(name)s was not filed. The original is untouched; it is "
                            "filed once space is freed.") % {"name": name}, "disk_full")


def _check_content(origin: Origin, name: str, digests: Digests) -> None:
    if digests.size == 0:
        _refuse(origin, name, _("%(name)s is empty (0 bytes).") % {"name": name}, "empty")
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


def _duplicate_of(origin: Origin, digests: Digests) -> Record | None:
    """Recordings (and unreadable files) are kept once per agency; a written record may be filed again on another
    case."""
    blob_id = Blob.objects.filter(sha256=digests.sha256).values_list("pk", flat=True).first()
    if blob_id is None:  # new content, the usual case: one indexed lookup
        return None
    records = Record.objects.filter(agency=origin.agency, blob_id=blob_id).order_by("pk")
    kept = records.exclude(kind=RecordKind.DOCUMENT).first()
    if kept is not None:
        return kept
    return records.filter(case=origin.case).first()


def _record_duplicate(origin: Origin, existing: Record, name: str) -> Outcome:
    with transaction.atomic():
        record_event("record.duplicate", actor=origin.ingested_by, obj=existing, context=origin.context,
                     actor_label=str(origin.station or ""), detail={"file": name, "channel": origin.channel})
    return Outcome(existing, created=False)


def _file(origin: Origin, name: str, source_path: str, digests: Digests, stored: StoredObject,
          found: Probe) -> Outcome:
    pack = current.in_force(origin.agency)
    record = Record(
        agency=origin.agency, unit=origin.unit, device=origin.device, officer=origin.officer, case=origin.case,
        activity=origin.activity, party=origin.party, usage=origin.usage, kind=found.kind, original_name=name,
        source_path=source_path[:1024], channel=origin.channel, ingested_by=origin.ingested_by,
        station=origin.station, remote_reason=origin.remote_reason, returned_to_unit_at=origin.returned_to_unit_at,
        media=found.info, playable=found.playable, unreadable_reason=found.reason, pack_version=pack.version,
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
        existing = _duplicate_of(origin, digests)
        if existing is None:
            raise
        return Outcome(existing, created=False)
    if record.playable:  # an unreadable file has nothing a viewer could be shown
        transaction.on_commit(lambda: make_derivatives.enqueue(record.pk))
    return Outcome(record, created=True)
