"""Printing a register or ledger: short ones at once, long ones by a background job with a progress page.

Asking is an event (``print.request``), so is the document being made (``print.ready``) or failing
(``print.failed``), and each download (``print.download``). The job builds the document again as the one who asked
may read it now, through the same function the page uses; a failure is kept on the row with its reason, and a job
whose worker died (no progress for ``PRINT_STALLED_MINUTES``) is marked failed rather than left waiting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from authz.capabilities import can
from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from ledger.wording import Wording, stored_text
from org.models import User
from printing import documents, render
from printing.models import PrintJob

PROGRESS_EVERY_SECONDS = 1.0


class PrintRefused(Exception):
    """Why a document is not printed or handed out, in words for the page."""


def output_dir() -> Path:
    path = Path(settings.DATA_DIR) / "printed"
    path.mkdir(parents=True, exist_ok=True)
    return path


def too_long(total: int) -> Wording | None:
    """Why a document of ``total`` rows is refused even as a job, and how to narrow it; None when it is not."""
    limit = settings.PRINTED_DOCUMENT_MAX_ROWS
    if total <= limit:
        return None
    return Wording(gettext_noop("The document asked for has %(total)d entries, more than the %(limit)d one printed "
                                "document may hold. Print a shorter period (choose from and to) or fewer items at a "
                                "time, or export it as .xlsx."), total=total, limit=limit)


def print_document(kind: str, params: dict, *, actor: User, context: RequestContext = SYSTEM
                   ) -> bytes | PrintJob:
    """The PDF at once when it is short (``PRINTED_REGISTER_ROWS`` or fewer rows), else a queued job; refused (with
    the limit and how to narrow it) above ``PRINTED_DOCUMENT_MAX_ROWS``."""
    source, agency = documents.source(kind), actor.agency
    if agency is None:  # the routes let no one outside an agency here; a job needs the agency it is on record in
        raise PrintRefused(gettext_lazy("The one who asked may no longer read this document."))
    document = source.build(actor, params)
    if problem := too_long(document.total):
        raise PrintRefused(problem)
    if document.total <= settings.PRINTED_REGISTER_ROWS:
        return render.pdf_bytes(document)
    from printing.tasks import make_printed_document

    with transaction.atomic():
        job = PrintJob.objects.create(agency=agency, kind=kind, params=params, requested_by=actor,
                                      statement=document.statement, total_rows=document.total)
        record_event("print.request", actor=actor, obj=job, agency_code=agency.code, context=context,
                     after={"kind": kind, "statement": document.statement, "total_rows": document.total})
        transaction.on_commit(lambda: make_printed_document.enqueue(job.pk))
    return job


def recent(user: User, kind: str, limit: int = 5) -> list[PrintJob]:
    """The latest documents of ``kind`` ``user`` asked for, to find one being made again from its page."""
    return list(PrintJob.objects.restrict(user).filter(kind=kind).order_by("-requested_at", "-id")[:limit])


def make(job_id: int) -> PrintJob:
    """The job: build the document again as its asker may read it now, lay it out in batches, keep the PDF."""
    job = PrintJob.objects.select_related("agency", "requested_by").get(pk=job_id)
    if not job.in_progress():
        return job
    # A job found being made is one whose worker died: the task runs again only when its lease lapsed
    # (lawtrace/leases.py), and it starts over.
    PrintJob.objects.filter(pk=job.pk).update(state=PrintJob.State.MAKING, done_rows=0, pages=0,
                                              heartbeat_at=timezone.now())
    try:
        _make(job)
    except Exception as error:  # the asker sees why and can ask again; nothing is left half-made
        reason = error.args[0] if isinstance(error, PrintRefused) else None
        if reason is None:
            logging.getLogger(__name__).exception("printed document %s failed", job.pk)
        _fail(job, reason or gettext_lazy("The document could not be made because of an internal error, which is "
                                          "in the server log; ask again or tell the system administrator."),
              detail=str(reason or error)[:500])
    job.refresh_from_db()
    return job


def _make(job: PrintJob) -> None:
    source = documents.source(job.kind)
    asker = job.requested_by
    if not asker.is_active or not can(asker, source.capability):
        raise PrintRefused(gettext_lazy("The one who asked may no longer read this document."))
    document = source.build(asker, job.params)
    if problem := too_long(document.total):
        raise PrintRefused(problem)
    PrintJob.objects.filter(pk=job.pk).update(total_rows=document.total, statement=document.statement)
    name = f"printed-{job.pk:06d}.pdf"
    target = output_dir() / name
    progress = _Progress(job.pk)
    pages = render.write_pdf(document, target, batch_rows=settings.PRINT_BATCH_ROWS, progress=progress)
    size, sha256 = target.stat().st_size, _sha256(target)
    with transaction.atomic():
        finished = PrintJob.objects.filter(pk=job.pk, state=PrintJob.State.MAKING).update(
            state=PrintJob.State.READY, file_name=name, size=size, sha256=sha256, pages=pages,
            done_rows=progress.rows, finished_at=timezone.now(), heartbeat_at=timezone.now())
        if not finished:  # given up as stalled meanwhile: its page already says so; no file without its event
            target.unlink(missing_ok=True)
            return
        record_event("print.ready", obj=job, agency_code=job.agency.code,
                     after={"total_rows": progress.rows, "pages": pages, "file_name": name, "size": size,
                            "sha256": sha256})


def _fail(job: PrintJob, reason, *, detail: str) -> None:
    with transaction.atomic():
        PrintJob.objects.filter(pk=job.pk).update(state=PrintJob.State.FAILED, error=stored_text(reason)[:2000],
                                                  finished_at=timezone.now())
        record_event("print.failed", obj=job, agency_code=job.agency.code, detail={"error": detail})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _Progress:
    """Counts rows laid out and writes them, with the heartbeat, to the row at most once a second."""

    def __init__(self, job_id: int) -> None:
        self.job_id, self.rows, self.written_at = job_id, 0, 0.0

    def __call__(self, rows: int, pages: int) -> None:
        self.rows += rows
        if time.monotonic() - self.written_at >= PROGRESS_EVERY_SECONDS:
            PrintJob.objects.filter(pk=self.job_id).update(done_rows=self.rows, pages=pages,
                                                           heartbeat_at=timezone.now())
            self.written_at = time.monotonic()


def _stalled(job: PrintJob, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    if job.state == PrintJob.State.MAKING:
        return (job.heartbeat_at or job.requested_at) < now - dt.timedelta(minutes=settings.PRINT_STALLED_MINUTES)
    return job.state == PrintJob.State.QUEUED and job.requested_at < now - dt.timedelta(days=1)


def notice_stalled(job: PrintJob) -> PrintJob:
    """A job whose worker died (no progress for a while), or that no worker took up within a day, is failed with
    that reason, so its page stops waiting and its asker can ask again."""
    if job.in_progress() and _stalled(job):
        _fail(job, gettext_lazy("The document stopped being made (the background worker stopped?); ask again."),
              detail="stalled")
        job.refresh_from_db()
    return job


def open_document(job: PrintJob, *, actor: User, context: RequestContext = SYSTEM):
    """The finished PDF, opened for its download, which goes on record; refused, on record, otherwise. Who may ask
    at all is the route's and the scope's (printing.permissions): the asker, holding the page's capability."""
    problem = None
    path = output_dir() / job.file_name
    if job.requested_by_id != actor.pk:
        problem = gettext_lazy("Only the staff member who asked for this document may download it.")
    elif job.state != PrintJob.State.READY or not job.file_name:
        problem = gettext_lazy("This document is not ready for download.")
    elif not path.is_file():
        problem = gettext_lazy("The document is no longer on the server; print it again.")
    elif _sha256(path) != job.sha256:
        problem = gettext_lazy("The document no longer has the hash recorded when it was made (changed on the "
                               "server); it was not handed out. Print it again.")
    if problem:
        record_denial("print.download", actor=actor, obj=job, agency_code=job.agency.code, context=context,
                      detail={"reason": problem})
        raise PrintRefused(problem)
    handle = path.open("rb")
    with transaction.atomic():
        record_event("print.download", actor=actor, obj=job, agency_code=job.agency.code, context=context,
                     detail={"file_name": job.file_name, "sha256": job.sha256})
    return handle


def tidy(now: dt.datetime | None = None) -> int:
    """Fail stalled jobs; remove documents kept ``PRINTED_KEEP_DAYS`` (the row and its events stay) and scratch
    left by a worker that died. Returns how many documents were removed."""
    now = now or timezone.now()
    for job in PrintJob.objects.filter(state__in=[PrintJob.State.QUEUED, PrintJob.State.MAKING]):
        notice_stalled(job)
    removed = 0
    cutoff = now - dt.timedelta(days=settings.PRINTED_KEEP_DAYS)
    for job in PrintJob.objects.filter(state=PrintJob.State.READY, finished_at__lt=cutoff).select_related("agency"):
        (output_dir() / job.file_name).unlink(missing_ok=True)
        with transaction.atomic():
            PrintJob.objects.filter(pk=job.pk).update(state=PrintJob.State.REMOVED)
            record_event("print.remove", obj=job, agency_code=job.agency.code,
                         detail={"file_name": job.file_name, "kept_days": settings.PRINTED_KEEP_DAYS})
        removed += 1
    for stale in output_dir().glob("tmp-print-*"):
        if stale.is_dir() and time.time() - stale.stat().st_mtime > 86400:
            shutil.rmtree(stale, ignore_errors=True)
    return removed
