"""Resumable browser uploads (the tus 1.0 protocol's core, creation and termination extensions).

Bytes go from the request stream to the upload store (``evidence.upload_storage``: a part file, or segments in a
bucket so that any web node takes any chunk), a megabyte at a time, so memory stays flat whatever the size. The
offset is saved after every append, including one cut off half-way, so the browser resumes where the server really
is. A complete upload is filed in the background through the one ingest path, which writes each file once: a part
file is hashed where it lies and linked into the store (no second copy), segments are read once, hashed and copied
into it; the waiting bytes go once the session says how the filing ended.

Nothing is stranded: a filing task whose worker died is taken over by another worker (``lawtrace.leases``); a full
disk keeps the upload and tries again later, and so does an unreachable store; and ``rescue_stranded`` re-queues any
received upload whose task is gone, until ``MAX_ATTEMPTS`` tries have failed, when it shows as stuck work on the
archivist's dashboard.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import errno
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus, default_task_backend
from django_tasks.exceptions import TaskResultDoesNotExist

from authz import scopes
from evidence.ingest import IngestRefused, Origin, ingest_file
from evidence.models import Record, UploadSession
from evidence.naming import BadName, kind_for, safe_name
from evidence.tasks import file_upload
from evidence.upload_storage import LocalParts, UploadStoreUnavailable, upload_storage
from ledger.events import RequestContext, record_denial

MAX_ATTEMPTS = 5  # filing tries before a received upload is left to people (the archivist's dashboard)
RETRY_AFTER_DISK_FULL = dt.timedelta(minutes=10)
# A filing that found the store unreachable tries again after this long, until it gets through.
REFILE_AFTER = dt.timedelta(seconds=30)
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
    """The part file of an upload held in a directory (LAWTRACE_UPLOAD_STORE=local)."""
    return LocalParts().path(session)


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
    storage = upload_storage()
    try:
        with transaction.atomic():
            session = UploadSession.objects.create(user=user, length=length, filename=name, metadata=metadata)
            storage.create(session)
    except UploadStoreUnavailable as exc:
        raise UploadError(_("The archive's storage cannot take uploads just now; try again in a minute."), 503) \
            from exc
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
    from lawtrace.metrics import UPLOAD_BYTES

    try:
        upload_storage().receive(session, stream, limit, counter=UPLOAD_BYTES.inc)
    except OSError as exc:
        # A dropped connection or a full disk: keep what arrived; the browser resumes from the saved offset.
        if exc.errno == errno.ENOSPC:
            raise UploadError(_("The archive's disk is full; the upload is paused and can resume later."), 507) \
                from exc
    except UploadStoreUnavailable as exc:
        raise UploadError(_("The archive's storage did not take these bytes; the upload resumes from %(offset)s.")
                          % {"offset": _current(session).offset}, 503) from exc
    finally:
        session.refresh_from_db()
    if session.offset == session.length:
        finish(session)
    return session


def _current(session: UploadSession) -> UploadSession:
    session.refresh_from_db()
    return session


def finish(session: UploadSession) -> None:
    with transaction.atomic():
        # Only the request that completes the upload moves it on, so it is queued for filing once.
        if UploadSession.objects.filter(pk=session.pk, state=UploadSession.State.RECEIVING).update(
                state=UploadSession.State.RECEIVED):
            transaction.on_commit(lambda: queue_filing(session.pk))
    session.refresh_from_db()


def queue_filing(session_id, after: dt.timedelta | None = None) -> None:
    """Enqueue the filing task (to run ``after`` from now) and remember it, so a session whose task is lost can be
    told apart and re-queued."""
    task = file_upload.using(run_after=timezone.now() + after) if after else file_upload
    result = task.enqueue(str(session_id))
    UploadSession.objects.filter(pk=session_id, state=UploadSession.State.RECEIVED).update(task_id=str(result.id))


def cancel(session: UploadSession) -> None:
    if session.state != UploadSession.State.RECEIVING:
        raise UploadError(_("This upload is already complete."), 403)
    UploadSession.objects.filter(pk=session.pk).update(state=UploadSession.State.REFUSED,
                                                       message=_("Cancelled by the sender."))
    _discard(session)


def _discard(session: UploadSession) -> None:
    """The waiting bytes go; if the store cannot be reached now, the weekly sweep of abandoned uploads retries."""
    try:
        upload_storage().discard(session)
    except UploadStoreUnavailable:
        logging.getLogger(__name__).warning("upload %s: waiting bytes not removed yet", session.pk)


def _lookup(model_label: str, value: str, user, action: str = "view"):
    """The case, activity or device the uploader named, if it is one the uploader may file into."""
    if not value:
        return None
    rows = scopes.scoped(model_label, user, action)
    try:
        return rows.get(pk=int(value))
    except (ValueError, rows.model.DoesNotExist) as exc:
        raise IngestRefused(_("The %(what)s chosen for this upload does not exist in your agency.")
                            % {"what": rows.model._meta.verbose_name}, "bad_reference") from exc


def origin_for(session: UploadSession) -> Origin:
    user, meta = session.user, session.metadata
    agency = user.agency
    returned = parse_datetime(meta.get("returned_to_unit_at", "") or "")
    if returned is not None and timezone.is_naive(returned):
        returned = timezone.make_aware(returned)
    activity = _lookup("cases.Activity", meta.get("activity", ""), user)
    return Origin(
        agency=agency, channel=Record.Channel.UPLOAD, ingested_by=user, officer=user, unit=user.unit,
        case=_lookup("cases.Case", meta.get("case", ""), user, "edit") or getattr(activity, "case", None),
        activity=activity, device=_lookup("devices.Device", meta.get("device", ""), user),
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
        _discard(session)
        return session
    UploadSession.objects.filter(pk=session.pk).update(attempts=F("attempts") + 1, retry_at=None)
    try:
        with upload_storage().reader(session) as source:
            if isinstance(source, Path) and not source.exists():
                UploadSession.objects.filter(pk=session.pk).update(
                    state=UploadSession.State.REFUSED,
                    message=_("The uploaded file is no longer on the server; nothing was filed. Upload it again."))
                session.refresh_from_db()
                return session
            outcome = ingest_file(source, session.filename, origin_for(session), owned=True)
    except IngestRefused as refused:
        if refused.code == "disk_full":
            retry_at = timezone.now() + RETRY_AFTER_DISK_FULL
            UploadSession.objects.filter(pk=session.pk).update(retry_at=retry_at, message=str(refused))
        else:
            UploadSession.objects.filter(pk=session.pk).update(state=UploadSession.State.REFUSED,
                                                               message=str(refused))
            _discard(session)
    except _unavailable() as exc:
        # The store or the upload bucket cannot be reached (a storage node restarting): nothing was filed, the
        # bytes wait, and filing is tried again shortly. Not the upload's fault, so the try does not count.
        logging.getLogger(__name__).warning("upload %s not filed yet: %s", session.pk, exc)
        UploadSession.objects.filter(pk=session.pk).update(
            attempts=F("attempts") - 1,
            message=_("The archive's storage could not be reached; filing is retried automatically."))
        _refile_later(session)
    else:
        state = UploadSession.State.QUARANTINED if outcome.quarantined else UploadSession.State.FILED
        UploadSession.objects.filter(pk=session.pk).update(state=state, record=outcome.record,
                                                           message=outcome.message)
        _discard(session)
    session.refresh_from_db()
    return session


def _unavailable() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    from evidence.store import StoreError

    return UploadStoreUnavailable, StoreError, BotoCoreError, ClientError, ConnectionError


def _refile_later(session: UploadSession) -> None:
    if default_task_backend.supports_defer:
        queue_filing(session.pk, after=REFILE_AFTER)
    # Otherwise ``rescue_stranded`` queues it again on its next sweep.


def rescue_stranded(now: dt.datetime | None = None) -> int:
    """Re-queue received uploads whose filing task is gone, failed or finished without deciding them, and those
    waiting for space after a full disk. A task still waiting or running is left to its worker (or to the worker
    that takes it over); an upload tried ``MAX_ATTEMPTS`` times is left for people to look at."""
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
        _discard(session)
    UploadSession.objects.filter(pk__in=[s.pk for s in stale]).update(
        state=UploadSession.State.REFUSED, message=_("Abandoned: not resumed within a week."))
    return len(stale)
