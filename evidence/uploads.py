"""Resumable browser uploads (the tus 1.0 protocol's core, creation and termination extensions).

Bytes go straight from the request stream to a part file, a megabyte at a time, so memory stays flat whatever the
size. The offset is saved after every append, including one cut off half-way, so the browser resumes where the
server really is. A complete upload is filed in the background through the one ingest path, which hashes the part
file where it lies and links it into the store (no second copy); the part file's name goes once the session says
how the filing ended.

Nothing is stranded: a filing task whose worker died is taken over by another worker (``lawtrace.leases``); a full
disk keeps the upload and tries again later; and ``rescue_stranded`` re-queues any received upload whose task is
gone, until ``MAX_ATTEMPTS`` tries have failed, when it shows as stuck work on the archivist's dashboard.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import errno
import os
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from evidence.ingest import IngestRefused, Origin, ingest_file
from evidence.models import Record, UploadSession
from evidence.naming import BadName, kind_for, safe_name
from ledger.events import RequestContext, record_denial

APPEND_CHUNK = 1 << 20
MAX_ATTEMPTS = 5  # filing tries before a received upload is left to people (the archivist's dashboard)
RETRY_AFTER_DISK_FULL = dt.timedelta(minutes=10)
METADATA_FIELDS = ("filename", "filetype", "name", "type", "case", "activity", "device", "party", "usage",
                   "remote_reason", "returned_to_unit_at", "sha256", "sm3")


class UploadError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def parse_metadata(header: str) -> dict[str, str]:
    """``key base64value,key2 base64value2`` → dict; unknown keys are dropped."""
    result = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _sep, value = pair.partition(" ")
        if key not in METADATA_FIELDS:
            continue
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise UploadError(_("The upload's details are not readable."), 400) from exc
        # Browser clients send unset fields as the text "undefined" or "null".
        result[key] = "" if decoded in ("undefined", "null") else decoded
    return result


def part_path(session: UploadSession) -> Path:
    return settings.EVIDENCE_UPLOAD_DIR / f"{session.pk}.part"


def create_session(user, length: int, metadata: dict[str, str]) -> UploadSession:
    try:
        name = safe_name(metadata.get("filename") or metadata.get("name", ""))
    except BadName as exc:
        record_denial("record.upload", actor=user, detail={"reason": "bad_name", "message": str(exc)})
        raise UploadError(str(exc), 400) from exc
    if kind_for(name) is None:
        raise UploadError(_("%(name)s: this file type is not accepted.") % {"name": name}, 415)
    if length <= 0:
        raise UploadError(_("%(name)s is empty (0 bytes).") % {"name": name}, 400)
    if length > settings.EVIDENCE_MAX_UPLOAD_BYTES:
        raise UploadError(_("%(name)s is larger than this archive accepts in one file.") % {"name": name}, 413)
    session = UploadSession.objects.create(user=user, length=length, filename=name, metadata=metadata)
    settings.EVIDENCE_UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    part_path(session).touch()
    return session


def append(session: UploadSession, offset: int, stream, content_length: int | None) -> UploadSession:
    if session.state != UploadSession.State.RECEIVING:
        raise UploadError(_("This upload is already complete."), 403)
    if offset != session.offset:
        raise UploadError(_("The upload offset does not match; resume from %(offset)s.") % {"offset": session.offset},
                          409)
    limit = session.length - session.offset
    if content_length is not None and content_length > limit:
        raise UploadError(_("More bytes were sent than the file's declared size."), 413)
    written = 0
    try:
        with open(part_path(session), "r+b") as part:
            part.seek(session.offset)
            while written < limit:
                chunk = stream.read(min(APPEND_CHUNK, limit - written))
                if not chunk:
                    break
                part.write(chunk)
                written += len(chunk)
            part.flush()
            os.fsync(part.fileno())
    except OSError as exc:
        # A dropped connection or a full disk: keep what arrived; the browser resumes from the saved offset.
        if exc.errno == errno.ENOSPC:
            raise UploadError(_("The archive's disk is full; the upload is paused and can resume later."), 507) \
                from exc
    finally:
        _save_offset(session, written)
    if session.offset == session.length:
        finish(session)
    return session


def _save_offset(session: UploadSession, written: int) -> None:
    actual = part_path(session).stat().st_size
    UploadSession.objects.filter(pk=session.pk).update(offset=min(session.offset + written, actual),
                                                       updated_at=timezone.now())
    session.refresh_from_db()


def finish(session: UploadSession) -> None:
    with transaction.atomic():
        UploadSession.objects.filter(pk=session.pk).update(state=UploadSession.State.RECEIVED)
        transaction.on_commit(lambda: queue_filing(session.pk))
    session.refresh_from_db()


def queue_filing(session_id) -> None:
    """Enqueue the filing task and remember it, so a session whose task is lost can be told apart and re-queued."""
    from evidence.tasks import file_upload

    result = file_upload.enqueue(str(session_id))
    UploadSession.objects.filter(pk=session_id, state=UploadSession.State.RECEIVED).update(task_id=str(result.id))


def cancel(session: UploadSession) -> None:
    if session.state != UploadSession.State.RECEIVING:
        raise UploadError(_("This upload is already complete."), 403)
    part_path(session).unlink(missing_ok=True)
    UploadSession.objects.filter(pk=session.pk).update(state=UploadSession.State.REFUSED,
                                                       message=_("Cancelled by the sender."))


def _lookup(model_label: str, value: str, agency):
    from django.apps import apps

    if not value:
        return None
    model = apps.get_model(model_label)
    try:
        return model.objects.filter(agency=agency).get(pk=int(value))
    except (ValueError, model.DoesNotExist) as exc:
        raise IngestRefused(_("The %(what)s chosen for this upload does not exist in your agency.")
                            % {"what": model._meta.verbose_name}, "bad_reference") from exc


def origin_for(session: UploadSession) -> Origin:
    user, meta = session.user, session.metadata
    agency = user.agency
    returned = parse_datetime(meta.get("returned_to_unit_at", "") or "")
    if returned is not None and timezone.is_naive(returned):
        returned = timezone.make_aware(returned)
    activity = _lookup("cases.Activity", meta.get("activity", ""), agency)
    return Origin(
        agency=agency, channel=Record.Channel.UPLOAD, ingested_by=user, officer=user, unit=user.unit,
        case=_lookup("cases.Case", meta.get("case", ""), agency) or getattr(activity, "case", None),
        activity=activity, device=_lookup("devices.Device", meta.get("device", ""), agency),
        party=meta.get("party", "")[:200], usage=meta.get("usage", "") if meta.get("usage") in _USAGES else "",
        remote_reason=meta.get("remote_reason", "")[:200], returned_to_unit_at=returned,
        declared={k: meta[k] for k in ("sha256", "sm3") if meta.get(k)},
        context=RequestContext(request_id=f"upload-{session.pk}"),
    )


_USAGES = {"patrol", "evidence", "case", "other"}


def file_session(session: UploadSession) -> UploadSession:
    """File a complete upload. The outcome is kept on the session with its message; the part file's name goes
    afterwards, except when the disk was full: then the upload is kept and filed again after a pause.

    Safe to run again at any point (a worker killed half-way is replaced by another): a part file already linked
    into the store is recognised by its hash, and a session already decided is left alone."""
    if session.state != UploadSession.State.RECEIVED:
        part_path(session).unlink(missing_ok=True)
        return session
    if not part_path(session).exists():
        UploadSession.objects.filter(pk=session.pk).update(
            state=UploadSession.State.REFUSED,
            message=_("The uploaded file is no longer on the server; nothing was filed. Upload it again."))
        session.refresh_from_db()
        return session
    UploadSession.objects.filter(pk=session.pk).update(attempts=F("attempts") + 1, retry_at=None)
    try:
        outcome = ingest_file(part_path(session), session.filename, origin_for(session), owned=True)
    except IngestRefused as refused:
        if refused.code == "disk_full":
            retry_at = timezone.now() + RETRY_AFTER_DISK_FULL
            UploadSession.objects.filter(pk=session.pk).update(retry_at=retry_at, message=str(refused))
        else:
            UploadSession.objects.filter(pk=session.pk).update(state=UploadSession.State.REFUSED,
                                                               message=str(refused))
            part_path(session).unlink(missing_ok=True)
    else:
        state = UploadSession.State.QUARANTINED if outcome.quarantined else UploadSession.State.FILED
        UploadSession.objects.filter(pk=session.pk).update(state=state, record=outcome.record,
                                                           message=outcome.message)
        part_path(session).unlink(missing_ok=True)
    session.refresh_from_db()
    return session


def rescue_stranded(now: dt.datetime | None = None) -> int:
    """Re-queue received uploads whose filing task is gone, failed or finished without deciding them, and those
    waiting for space after a full disk. A task still waiting or running is left to its worker (or to the worker
    that takes it over); an upload tried ``MAX_ATTEMPTS`` times is left for people to look at."""
    from django_tasks import TaskResultStatus, default_task_backend
    from django_tasks.exceptions import TaskResultDoesNotExist

    now = now or timezone.now()
    waiting = UploadSession.objects.filter(state=UploadSession.State.RECEIVED, attempts__lt=MAX_ATTEMPTS,
                                           updated_at__lt=now - dt.timedelta(minutes=1))
    waiting = waiting.filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
    queued = 0
    for session in waiting.order_by("updated_at")[:200]:
        if session.task_id:
            try:
                state = default_task_backend.get_result(session.task_id).status
            except (TaskResultDoesNotExist, NotImplementedError):
                state = None
            if state in (TaskResultStatus.READY, TaskResultStatus.RUNNING) and session.retry_at is None:
                continue
        queue_filing(session.pk)
        queued += 1
    return queued


def stuck(agency, now: dt.datetime | None = None, older_than: dt.timedelta = dt.timedelta(minutes=30)):
    """Uploads of the agency received but still not filed after ``older_than``, oldest first: what the archivist's
    dashboard shows with its age."""
    now = now or timezone.now()
    return (UploadSession.objects.filter(user__agency=agency, state=UploadSession.State.RECEIVED,
                                         updated_at__lt=now - older_than)
            .select_related("user").order_by("updated_at"))


def expire_abandoned(older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Uploads nobody resumed for a week are removed; they were never filed, so nothing of record is lost."""
    cutoff = timezone.now() - older_than
    stale = list(UploadSession.objects.filter(state=UploadSession.State.RECEIVING, updated_at__lt=cutoff))
    for session in stale:
        part_path(session).unlink(missing_ok=True)
    UploadSession.objects.filter(pk__in=[s.pk for s in stale]).update(
        state=UploadSession.State.REFUSED, message=_("Abandoned: not resumed within a week."))
    return len(stale)
