"""Evidence packages copied out under a grant, built in the background (001/2/11, 000/1/11).

Asking records the fee and queues the job; the job checks the grant again through the choke point, builds the
package with a progress count and writes the .zip next to the other server files; only the one who asked fetches
it, and only while the grant still allows copying. Every step is an event; a failure is kept on the row with its
reason, never lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from access import packages, services
from access.models import AccessRequest, PackageExport
from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from ledger.wording import stored_text
from org.models import User

PROGRESS_EVERY_SECONDS = 1.0


def archive_dir() -> Path:
    path = Path(settings.DATA_DIR) / "packages"
    path.mkdir(parents=True, exist_ok=True)
    return path


def request_export(access: AccessRequest, *, actor: User, maker: str, extractor: str, proves: str,
                   fee_yuan: Decimal | None = None, context: RequestContext = SYSTEM) -> PackageExport:
    """Queue a package of the items ``actor`` may copy out now; refused, on record, when there are none."""
    items = services.copyable_items(access, actor)
    if not items:
        problem = gettext_lazy("Nothing may be copied under this request now (not granted, expired or revoked).")
        record_denial("package.request", actor=actor, obj=access, agency_code=access.agency.code, context=context,
                      detail={"reason": problem})
        raise services.AccessRefused(problem)
    from access.tasks import build_package_export

    with transaction.atomic():
        if fee_yuan is not None:
            services.record_fee(access, fee_yuan, actor=actor, context=context)
        export = PackageExport.objects.create(
            request=access, requested_by=actor, record_ids=[r.pk for r in items], maker=maker.strip(),
            extractor=extractor.strip(), proves=proves.strip(), total_bytes=2 * sum(r.blob.size for r in items))
        record_event("package.request", actor=actor, obj=export, agency_code=access.agency.code, context=context,
                     after={"request": access.pk, "records": export.record_ids, "maker": export.maker,
                            "extractor": export.extractor, "proves": export.proves})
        transaction.on_commit(lambda: build_package_export.enqueue(export.pk))
    return export


def build(export_id: int) -> PackageExport:
    """The job: check the grant again, build and zip, keep the archive; a failure is kept on the row."""
    export = PackageExport.objects.select_related("request__agency", "request__case", "requested_by").get(
        pk=export_id)
    if not export.in_progress():
        return export
    PackageExport.objects.filter(pk=export.pk).update(state=PackageExport.State.BUILDING, done_bytes=0)
    try:
        _build(export)
    except Exception as error:  # the requester sees why and can ask again
        reason = error.args[0] if isinstance(error, services.AccessRefused | packages.PackageError) else None
        if reason is None:
            logging.getLogger(__name__).exception("package export %s failed", export.pk)
        # Kept untranslated, shown in the reader's language (ledger.wording); an unforeseen error's own text is
        # for the log and the ledger, not for the page.
        shown_reason = reason or gettext_lazy("The package could not be made because of an internal error, which is "
                                              "in the server log; ask again or tell the system administrator.")
        PackageExport.objects.filter(pk=export.pk).update(state=PackageExport.State.FAILED,
                                                          error=stored_text(shown_reason)[:2000],
                                                          finished_at=timezone.now())
        with transaction.atomic():
            record_event("package.failed", obj=export, agency_code=export.request.agency.code,
                         result="denied" if isinstance(error, services.AccessRefused) else "done",
                         detail={"error": reason or str(error)[:500]})
    export.refresh_from_db()
    return export


def _build(export: PackageExport) -> None:
    access = export.request
    # The grant may have been revoked or have run out while the job waited: the choke point decides again.
    wanted = set(export.record_ids)
    items = [r for r in services.copyable_items(access, export.requested_by) if r.pk in wanted]
    if not items:
        raise services.AccessRefused(gettext_lazy("The grant no longer allows copying these items (revoked or "
                                                  "expired)."))
    counter = _Counter(export.pk)
    name = f"evidence-package-{access.pk}-{export.pk:06d}"
    extraction = packages.Extraction(maker=export.maker, extractor=export.extractor, proves=export.proves,
                                     purpose=access.get_purpose_display(),
                                     case_label=str(access.case) if access.case else "")
    with tempfile.TemporaryDirectory(dir=archive_dir()) as work:
        built = packages.build_package(items, Path(work) / name, extraction=extraction, agency=access.agency,
                                       actor=export.requested_by, case=access.case, access_request=access,
                                       progress=counter)
        partial = Path(work) / f"{name}.zip"
        packages.write_zip(built.path, partial, progress=counter)
        target = archive_dir() / f"{name}.zip"
        partial.rename(target)
    size, sha256 = target.stat().st_size, packages.file_hashes(target)["sha256"]
    with transaction.atomic():
        PackageExport.objects.filter(pk=export.pk).update(
            state=PackageExport.State.READY, archive_name=target.name, size=size, sha256=sha256,
            done_bytes=counter.done, total_bytes=counter.done, finished_at=timezone.now())
        record_event("package.ready", obj=export, agency_code=access.agency.code,
                     after={"archive": target.name, "size": size, "sha256": sha256,
                            "manifest_sha256": built.manifest_sha256})


class _Counter:
    """Adds up copied bytes and writes them to the row at most once a second, for the progress bar."""

    def __init__(self, export_id: int) -> None:
        self.export_id, self.done, self.written_at = export_id, 0, 0.0

    def __call__(self, count: int) -> None:
        self.done += count
        if time.monotonic() - self.written_at >= PROGRESS_EVERY_SECONDS:
            PackageExport.objects.filter(pk=self.export_id).update(done_bytes=self.done)
            self.written_at = time.monotonic()


def open_archive(export: PackageExport, *, actor: User, context: RequestContext = SYSTEM):
    """The built archive, opened for its download, which goes on record; refused, on record, when the one asking
    is not the one who asked for it or the grant no longer allows copying what it holds."""
    problem = None
    if export.requested_by_id != actor.pk:
        problem = gettext_lazy("Only the staff member who asked for this package may download it.")
    elif export.state != PackageExport.State.READY:
        problem = gettext_lazy("This package is not ready for download.")
    elif not (archive_dir() / export.archive_name).is_file():
        problem = gettext_lazy("The archive is no longer on the server; ask for the package again.")
    else:
        allowed = {r.pk for r in services.copyable_items(export.request, actor)}
        if not set(export.record_ids) <= allowed:
            problem = gettext_lazy("The grant no longer allows copying these items (revoked or expired).")
    if problem is None:
        problem = _damaged(export)
    if problem:
        record_denial("package.download", actor=actor, obj=export, agency_code=export.request.agency.code,
                      context=context, detail={"reason": problem})
        raise services.AccessRefused(problem)
    handle = (archive_dir() / export.archive_name).open("rb")
    with transaction.atomic():
        record_event("package.download", actor=actor, obj=export, agency_code=export.request.agency.code,
                     context=context,
                     detail={"archive": export.archive_name, "sha256": export.sha256})
    return handle


def _damaged(export: PackageExport) -> Any:
    """Fixity of what is handed out: the archive must still have the hash the ledger recorded when it was made (the
    row's copy of that hash counts for nothing on its own). A changed archive is refused and put on record."""
    from evidence.fixity import file_matches
    from ledger.queries import recorded

    made = recorded("access.packageexport", export.pk, "package.ready", "sha256")
    if made and made == export.sha256 and file_matches(archive_dir() / export.archive_name, made):
        return None
    with transaction.atomic():
        record_event("fixity.changed", obj=export, agency_code=export.request.agency.code,
                     detail={"archive": export.archive_name, "sha256_expected": made or "",
                             "sha256_on_row": export.sha256})
    return gettext_lazy("The package archive no longer has the hash recorded when it was made (changed or damaged "
                        "on the server); it was not handed out. Ask for the package again.")


STALLED_AFTER = dt.timedelta(days=1)


def remove_expired(now=None) -> int:
    """Remove archives that waited their days; the row, its hashes and its events stay. A package no worker
    finished within a day is marked failed, so its page stops waiting and its maker can ask again."""
    now = now or timezone.now()
    stalled = PackageExport.objects.filter(state__in=[PackageExport.State.QUEUED, PackageExport.State.BUILDING],
                                           requested_at__lt=now - STALLED_AFTER)
    for export in stalled.select_related("request__agency"):
        message = stored_text(gettext_lazy("The package was not finished within a day (the background worker "
                                           "stopped?); ask again."))
        with transaction.atomic():
            PackageExport.objects.filter(pk=export.pk).update(state=PackageExport.State.FAILED, error=message,
                                                              finished_at=now)
            record_event("package.failed", obj=export, agency_code=export.request.agency.code,
                         detail={"error": "stalled"})
    cutoff = now - dt.timedelta(days=settings.ACCESS_PACKAGE_KEEP_DAYS)
    removed = 0
    for export in PackageExport.objects.filter(state=PackageExport.State.READY, finished_at__lt=cutoff):
        (archive_dir() / export.archive_name).unlink(missing_ok=True)
        with transaction.atomic():
            PackageExport.objects.filter(pk=export.pk).update(state=PackageExport.State.REMOVED)
            record_event("package.remove", obj=export, agency_code=export.request.agency.code,
                         detail={"archive": export.archive_name, "kept_days": settings.ACCESS_PACKAGE_KEEP_DAYS})
        removed += 1
    for stale in archive_dir().glob("tmp*"):  # scratch left by a worker that died mid-build
        if stale.is_dir() and time.time() - stale.stat().st_mtime > STALLED_AFTER.total_seconds():
            shutil.rmtree(stale, ignore_errors=True)
    return removed
