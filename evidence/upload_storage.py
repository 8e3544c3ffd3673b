"""Where the bytes of an unfinished upload wait, so that any web node can take the next chunk.

``local``: one part file per upload in LAWTRACE_UPLOAD_DIR (a node's own disk on a single server, or a mount every
web node shares). ``s3``: a bucket of the S3 store holding the upload as segments, each one object, recorded in
``UploadSegment`` rows; the chunks of one upload may then land on different nodes with nothing shared but the
database and the bucket.

Either way the offset in the database only moves forward by a conditional update (``WHERE offset = <old>``), after
the bytes it covers are durable, so two nodes can never both extend the same upload and a node that dies mid-chunk
leaves the offset where its last durable bytes end; the client asks for the offset (HEAD) and resumes from there.

Hashing: ``hashlib`` cannot hand a half-computed SHA-256 or SM3 from one process to another, so the hashes are
taken when the filing task reads the finished upload once, in the same pass that copies it into the store's
staging area (as for every other channel), not by a second read.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evidence.models import UploadSegment, UploadSession

READ_CHUNK = 1 << 20
# A segment is held in memory while it arrives, then written as one object: the memory a chunk costs a node is
# bounded by this, whatever size the client chose for its chunks.
SEGMENT_BYTES = 8 << 20


class UploadStoreUnavailable(Exception):
    """The upload store could not take or give bytes just now; what was received before stays."""


def _advance(session: UploadSession, old: int, new: int, segment: UploadSegment | None = None) -> bool:
    """Move the offset from ``old`` to ``new``; False when another request moved it first."""
    with transaction.atomic():
        moved = UploadSession.objects.filter(pk=session.pk, offset=old, state=UploadSession.State.RECEIVING).update(
            offset=new, updated_at=timezone.now())
        if moved and segment is not None:
            segment.save()
    return bool(moved)


class LocalParts:
    name = "local"

    def path(self, session: UploadSession) -> Path:
        return settings.EVIDENCE_UPLOAD_DIR / f"{session.pk}.part"

    def create(self, session: UploadSession) -> None:
        settings.EVIDENCE_UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
        self.path(session).touch()

    def receive(self, session: UploadSession, stream, limit: int, counter=None) -> None:
        """Append up to ``limit`` bytes from ``stream`` at the session's offset. Cut off half-way, the bytes that
        arrived are kept and the offset says so."""
        start = session.offset
        written = 0
        try:
            with open(self.path(session), "r+b") as part:
                part.seek(start)
                try:
                    while written < limit:
                        chunk = stream.read(min(READ_CHUNK, limit - written))
                        if not chunk:
                            break
                        part.write(chunk)
                        written += len(chunk)
                        if counter:
                            counter(len(chunk))
                finally:
                    part.flush()
                    os.fsync(part.fileno())
        finally:
            actual = self.path(session).stat().st_size
            _advance(session, start, min(start + written, actual))

    @contextmanager
    def reader(self, session: UploadSession) -> Iterator[Path]:
        yield self.path(session)

    def discard(self, session: UploadSession) -> None:
        self.path(session).unlink(missing_ok=True)

    def check(self) -> None:
        settings.EVIDENCE_UPLOAD_DIR.mkdir(parents=True, exist_ok=True)


class S3Segments:
    name = "s3"

    def __init__(self) -> None:
        from evidence.store import store_named

        # The evidence store's client: same endpoint and credentials, another bucket (no Object Lock: segments are
        # scratch, deleted once the upload is filed).
        self.client = store_named("s3").client
        self.bucket = settings.EVIDENCE_S3_UPLOAD_BUCKET
        self._bucket_ready = False

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        if self._bucket_ready:
            return
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            try:
                self.client.create_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
        self._bucket_ready = True

    def create(self, session: UploadSession) -> None:
        self._guard(self._ensure_bucket)

    def _guard(self, action, *args, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return action(*args, **kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise UploadStoreUnavailable(str(exc)) from exc

    def _flush(self, session: UploadSession, start: int, data: bytearray) -> bool:
        key = f"uploads/{session.pk}/{start:016d}-{secrets.token_hex(4)}"
        self._guard(self.client.put_object, Bucket=self.bucket, Key=key, Body=bytes(data))
        segment = UploadSegment(session_id=session.pk, offset=start, length=len(data), key=key)
        if not _advance(session, start, start + len(data), segment):
            self._guard(self.client.delete_object, Bucket=self.bucket, Key=key)
            return False
        return True

    def receive(self, session: UploadSession, stream, limit: int, counter=None) -> None:
        position = session.offset
        buffer = bytearray()
        received = 0
        try:
            while received < limit:
                chunk = stream.read(min(READ_CHUNK, limit - received))
                if not chunk:
                    break
                buffer += chunk
                received += len(chunk)
                if counter:
                    counter(len(chunk))
                if len(buffer) >= SEGMENT_BYTES:
                    if not self._flush(session, position, buffer):
                        buffer.clear()
                        return  # another request took this offset; its bytes stand
                    position += len(buffer)
                    buffer.clear()
        finally:
            # Cut off or not, what arrived is kept: the client resumes after it.
            if buffer:
                self._flush(session, position, buffer)

    @contextmanager
    def reader(self, session: UploadSession) -> Iterator[BinaryIO]:
        segments = list(UploadSegment.objects.filter(session=session).order_by("offset"))
        position = 0
        for segment in segments:
            if segment.offset != position:
                raise UploadStoreUnavailable(f"upload {session.pk}: bytes {position}..{segment.offset} are missing")
            position += segment.length
        if position != session.length:
            raise UploadStoreUnavailable(f"upload {session.pk}: {position} of {session.length} bytes are stored")
        yield _SegmentStream(self, segments)

    def discard(self, session: UploadSession) -> None:
        keys = set(UploadSegment.objects.filter(session=session).values_list("key", flat=True))
        # Objects of requests that lost the race, or whose node died before recording them, have no row.
        listing = self._guard(self.client.list_objects_v2, Bucket=self.bucket, Prefix=f"uploads/{session.pk}/")
        keys |= {item["Key"] for item in listing.get("Contents", [])}
        for key in sorted(keys):
            self._guard(self.client.delete_object, Bucket=self.bucket, Key=key)
        UploadSegment.objects.filter(session=session).delete()

    def check(self) -> None:
        self._guard(self._ensure_bucket)


class _SegmentStream(io.RawIOBase):
    """The segments read in order as one stream, each fetched only when reached."""

    def __init__(self, storage: S3Segments, segments: list[UploadSegment]) -> None:
        self.storage = storage
        self.pending = list(segments)
        self.body = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        # What RawIOBase readers call (the ingest's hashing fills its buffers in place); the inherited one is abstract.
        data = self.read(len(buffer))
        memoryview(buffer)[:len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        while True:
            if self.body is None:
                if not self.pending:
                    return b""
                segment = self.pending.pop(0)
                response = self.storage._guard(self.storage.client.get_object, Bucket=self.storage.bucket,
                                               Key=segment.key)
                self.body, self.expected = response["Body"], segment.length
            data = self.storage._guard(self.body.read, size if size and size > 0 else None)
            if data:
                self.expected -= len(data)
                return data
            if self.expected:
                raise UploadStoreUnavailable("a segment ended early")
            self.body = None


def upload_storage() -> LocalParts | S3Segments:
    if settings.EVIDENCE_UPLOAD_STORE == "s3":
        return _s3_segments()
    return LocalParts()


_S3: dict[tuple, S3Segments] = {}


def _s3_segments() -> S3Segments:
    # One client per configuration; tests switch buckets between runs.
    identity = (settings.EVIDENCE_S3["endpoint"], settings.EVIDENCE_S3_UPLOAD_BUCKET)
    if identity not in _S3:
        _S3[identity] = S3Segments()
    return _S3[identity]
