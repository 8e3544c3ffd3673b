"""Scheduled fixity checks: every stored original, and every derivative a person is shown (playback copy, thumbnail,
preview), is read again and both hashes compared with those taken when it was made. The sweep reads at a capped
rate, stops when its time is up and, because each finished check moves the object to the back of the queue, the next
run starts where the last one stopped, restart or not."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from evidence.derivatives import stored_object
from evidence.hashing import hash_stream
from evidence.models import Blob, Derivative, FixityCheck
from evidence.store import store_named
from ledger.events import record_event


class _Throttled:
    """A readable stream over the store's chunks that sleeps to keep to ``rate`` bytes per second."""

    def __init__(self, chunks: Iterator[bytes], rate: float) -> None:
        self.chunks, self.rate = chunks, rate
        self.buffer = b""
        self.started = time.monotonic()
        self.delivered = 0

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            piece = next(self.chunks, b"")
            if not piece:
                break
            self.buffer += piece
        out, self.buffer = (self.buffer, b"") if size < 0 else (self.buffer[:size], self.buffer[size:])
        self.delivered += len(out)
        ahead = self.delivered / self.rate - (time.monotonic() - self.started)
        if ahead > 0:
            time.sleep(ahead)
        return out


def due(now: dt.datetime | None = None) -> QuerySet[Blob]:
    """Objects whose check is due: never checked, or older than their cycle (shorter when on an open case)."""
    now = now or timezone.now()
    general = now - dt.timedelta(days=settings.FIXITY_CYCLE_DAYS)
    open_case = now - dt.timedelta(days=settings.FIXITY_OPEN_CASE_CYCLE_DAYS)
    on_open_case = Q(records__case__state="open")
    shown = Q(records__isnull=False) | Q(pk__in=Derivative.objects.values("blob_id"))
    return (Blob.objects.filter(Q(fixity_checked_at__isnull=True) | Q(fixity_checked_at__lt=general)
                                | (on_open_case & Q(fixity_checked_at__lt=open_case)))
            .filter(shown, purged_at__isnull=True).distinct()
            .order_by(F("fixity_checked_at").asc(nulls_first=True), "pk"))


def check(blob: Blob, *, rate: float | None = None) -> FixityCheck:
    rate = rate or settings.FIXITY_MAX_MB_PER_S * (1 << 20)
    started = time.monotonic()
    found = None
    error = ""
    try:
        chunks = store_named(blob.backend).read_range(stored_object(blob))
        found = hash_stream(_Throttled(iter(chunks), rate))
    except Exception as exc:  # noqa: BLE001 — any failure to read the object is itself the finding
        error = f"{exc.__class__.__name__}: {exc}"
    if found is None:
        outcome = FixityCheck.Outcome.MISSING
    elif found.sha256 == blob.sha256 and found.sm3 == blob.sm3 and found.size == blob.size:
        outcome = FixityCheck.Outcome.INTACT
    else:
        outcome = FixityCheck.Outcome.CHANGED
    now = timezone.now()
    with transaction.atomic():
        result = FixityCheck.objects.create(
            blob=blob, checked_at=now, outcome=outcome, sha256_found=found.sha256 if found else "",
            sm3_found=found.sm3 if found else "", error=error, seconds=round(time.monotonic() - started, 3))
        Blob.objects.filter(pk=blob.pk).update(fixity_checked_at=now, fixity_ok=outcome == FixityCheck.Outcome.INTACT)
        if outcome != FixityCheck.Outcome.INTACT:
            detail = {"sha256_expected": blob.sha256, "sm3_expected": blob.sm3, "sha256_found": result.sha256_found,
                      "sm3_found": result.sm3_found, "size_expected": blob.size, "error": error}
            for record in blob.records.select_related("agency"):
                record_event(f"fixity.{outcome}", obj=record, agency_code=record.agency.code, detail=detail)
            for made in Derivative.objects.filter(blob=blob).select_related("record__agency"):
                record_event(f"fixity.{outcome}", obj=made.record, agency_code=made.record.agency.code,
                             detail={**detail, "derivative": made.kind, "source_sha256": made.source_sha256})
    return result


@dataclass
class SweepReport:
    checked: int = 0
    failed: int = 0
    bytes_read: int = 0


def sweep(*, minutes: float | None = None, rate: float | None = None, now: dt.datetime | None = None) -> SweepReport:
    """Check due objects, oldest check first, until none is due or the time is up."""
    deadline = time.monotonic() + 60 * (minutes or settings.FIXITY_RUN_MINUTES)
    report = SweepReport()
    seen: set[int] = set()
    while time.monotonic() < deadline:
        # Batches are re-read after each round: a checked object leaves the due list, so nothing is read twice.
        batch = [blob for blob in due(now)[:100] if blob.pk not in seen]
        if not batch:
            break
        for blob in batch:
            if time.monotonic() >= deadline:
                break
            seen.add(blob.pk)
            result = check(blob, rate=rate)
            report.checked += 1
            report.bytes_read += blob.size if result.outcome != FixityCheck.Outcome.MISSING else 0
            report.failed += result.outcome != FixityCheck.Outcome.INTACT
    if report.checked:
        with transaction.atomic():
            record_event("fixity.sweep", detail={"checked": report.checked, "failed": report.failed,
                                                 "bytes": report.bytes_read})
    return report


def failures() -> QuerySet[Blob]:
    return Blob.objects.filter(fixity_ok=False)


def file_matches(path, sha256: str) -> bool:
    """Whether a file handed out whole (a package archive, a disc image) still has the hash recorded when it was
    made; read at full speed, since someone is waiting for it."""
    import hashlib

    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == sha256
