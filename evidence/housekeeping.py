"""Nothing stranded: the periodic sweep that finishes or clears what crashed work left behind.

- Staging files (copies under way) and uploads Django spooled for the station API are removed once their process is
  gone — its lock on the file died with it — and they are untouched for ``LAWTRACE_STAGING_GRACE_MINUTES``. A file
  whose owner still runs is kept whatever its age (``evidence.store.sweep_staging``).
- Part files of browser uploads are removed once their session is decided (filed, kept as unreadable, refused)
  or gone; a part file still receiving or waiting to be filed is the upload itself and stays.
- Received uploads whose filing task is lost, and those paused by a full disk, are queued again
  (``evidence.uploads.rescue_stranded``).

Tasks whose worker died are taken over by the other workers themselves (``lawtrace.leases``).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from evidence import uploads
from evidence.models import UploadSession
from evidence.store import default_store, sweep_staging


@dataclass
class Swept:
    staging_removed: int = 0
    staging_bytes: int = 0
    parts_removed: int = 0
    parts_bytes: int = 0
    requeued: int = 0


def grace() -> dt.timedelta:
    return dt.timedelta(minutes=settings.EVIDENCE_STAGING_GRACE_MINUTES)


def staging_dirs() -> list[Path]:
    return list(dict.fromkeys([default_store().staging_dir, Path(settings.FILE_UPLOAD_TEMP_DIR)]))


def sweep(now: dt.datetime | None = None) -> Swept:
    now = now or timezone.now()
    swept = Swept()
    for directory in staging_dirs():
        found = sweep_staging(directory, grace())
        swept.staging_removed += found.removed
        swept.staging_bytes += found.removed_bytes
    swept.parts_removed, swept.parts_bytes = _orphan_parts()
    swept.requeued = uploads.rescue_stranded(now)
    return swept


def _orphan_parts() -> tuple[int, int]:
    directory = settings.EVIDENCE_UPLOAD_DIR
    if not directory.is_dir():
        return 0, 0
    cutoff = time.time() - grace().total_seconds()
    parts: dict[uuid.UUID, Path] = {}
    for path in directory.glob("*.part"):
        try:
            parts[uuid.UUID(path.stem)] = path
        except ValueError:
            continue
    live = set(UploadSession.objects.filter(pk__in=list(parts), state__in=[
        UploadSession.State.RECEIVING, UploadSession.State.RECEIVED]).values_list("pk", flat=True))
    removed = size = 0
    for session_id, path in parts.items():
        if session_id in live:
            continue
        try:
            info = path.stat()
            if info.st_mtime > cutoff:
                continue  # a session row not committed yet, or a decision a moment ago
            path.unlink()
        except FileNotFoundError:
            continue
        removed += 1
        size += info.st_size
    return removed, size
