"""Where originals and derivatives live: one small interface, a local write-once directory or S3 with Object Lock.

Objects are addressed by their SHA-256, so identical content is stored once. Nothing here overwrites or deletes
an object: the approved purge of the retention issue is the only way out. Staged copies are written, fsynced and
then committed; a crash leaves at most a staging file, never a half object under its final name.

A file the archive already holds on the store's own disk (a finished browser upload, a station's spooled upload)
is not copied at all: ``adopt`` hard-links it under its hash, so filing it writes no data. Every staging file is
created under an exclusive ``flock`` held for as long as its handle is open; the kernel drops the lock when the
process dies, however it dies, which is how ``sweep_staging`` tells a crashed import's leftovers from live work.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from evidence.hashing import Digests

READ_CHUNK = 1 << 20


class StoreError(Exception):
    """The store refused or failed an operation; the message is for people."""


class StorageFull(StoreError):
    pass


class ObjectLocked(StoreError):
    """The object is under retention or legal hold; the store itself refuses to delete it."""


@dataclass(frozen=True)
class StoredObject:
    backend: str
    key: str
    version_id: str = ""


def object_key(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class ObjectStore(ABC):
    name: str

    def __init__(self, staging_dir: Path) -> None:
        self.staging_dir = staging_dir

    def new_staging_file(self, prefix: str = "incoming-") -> tuple[BinaryIO, Path]:
        """An empty file to copy an incoming original into, on the same disk as the objects where that matters.

        The file is locked while the returned handle is open: keep it open until the work on the file is done."""
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=prefix, dir=self.staging_dir)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return os.fdopen(fd, "w+b"), Path(name)

    def adopts(self, path: Path) -> bool:
        """Whether ``adopt(path)`` can store the file without writing a local copy of it first."""
        return False

    def adopt(self, path: Path, digests: Digests, *, retain_until: dt.datetime | None = None,
              legal_hold: bool = False) -> tuple[StoredObject, bool]:
        """Store a complete, already hashed file the archive owns, leaving ``path`` where it is for the caller to
        remove once the filing is committed. Only call this where ``adopts(path)``."""
        raise StoreError(f"{self.name} store cannot adopt {path}")

    @abstractmethod
    def commit(self, staged: Path, digests: Digests, *, retain_until: dt.datetime | None = None,
               legal_hold: bool = False) -> tuple[StoredObject, bool]:
        """Store the staged file under its hash; return the object and whether it was new. Consumes ``staged``."""

    @abstractmethod
    def read_range(self, obj: StoredObject, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes ``start``..``end`` inclusive (to the end when ``end`` is None)."""

    @abstractmethod
    def size(self, obj: StoredObject) -> int: ...

    def open_local_path(self, obj: StoredObject) -> Path | None:
        """A path the media tools can open directly, where the backend has one."""
        return None

    def extend_retention(self, obj: StoredObject, until: dt.datetime) -> dt.datetime | None:
        """Keep the object at least until ``until`` where the backend enforces retention (never shortened)."""
        return None

    def set_legal_hold(self, obj: StoredObject, on: bool) -> None:  # noqa: B027 (only S3 enforces holds)
        """Put the object under legal hold, or lift it, where the backend enforces holds."""

    def deletable(self, obj: StoredObject) -> bool:
        """Whether ``delete`` would be allowed now (no retention or legal hold of the store's own in force)."""
        return True

    @abstractmethod
    def delete(self, obj: StoredObject) -> None:
        """Remove the object for good; only an approved purge calls this (design principle 2). An object already
        gone is not an error, so an interrupted purge can run again."""

    @abstractmethod
    def put_once(self, key: str, data: bytes, *, retain_until: dt.datetime) -> str:
        """A small named object (the ledger's published checkpoints), written once: identical bytes already there
        are kept, different bytes are refused. Returns where it lies."""

    @abstractmethod
    def read_versions(self, prefix: str) -> Iterator[tuple[str, bytes, dt.datetime]]:
        """Every stored version of the named objects under ``prefix``, as (location, bytes, when the store wrote it)."""

    def check_write_once(self) -> None:  # noqa: B027 (the local store needs no outside configuration)
        """Refuse to start on a store that would let stored objects be changed or removed."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStore(ObjectStore):
    """A directory on a local or mounted disk. Committed files are read-only and never replaced."""

    name = "local"

    def __init__(self, root: Path) -> None:
        super().__init__(root / ".staging")
        self.root = root

    def path(self, obj: StoredObject) -> Path:
        return self.root / obj.key

    def adopts(self, path: Path) -> bool:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            return os.stat(path).st_dev == os.stat(self.root).st_dev
        except OSError:
            return False

    def adopt(self, path: Path, digests: Digests, *, retain_until: dt.datetime | None = None,
              legal_hold: bool = False) -> tuple[StoredObject, bool]:
        obj = StoredObject(self.name, object_key(digests.sha256))
        final = self.path(obj)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(path, 0o444)
            try:
                # link() never replaces an existing name, unlike rename(): a racing writer of the same content
                # finds the object there and keeps it.
                os.link(path, final)
                created = True
            except FileExistsError:
                created = False
            if final.stat().st_size != digests.size:
                raise StoreError(f"stored object {obj.key} has the wrong size; the store needs checking")
            _fsync_dir(final.parent)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise StorageFull(str(exc)) from exc
            raise
        return obj, created

    def commit(self, staged: Path, digests: Digests, *, retain_until: dt.datetime | None = None,
               legal_hold: bool = False) -> tuple[StoredObject, bool]:
        try:
            return self.adopt(staged, digests)
        finally:
            staged.unlink(missing_ok=True)

    def read_range(self, obj: StoredObject, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with open(self.path(obj), "rb") as handle:
            handle.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                chunk = handle.read(READ_CHUNK if remaining is None else min(READ_CHUNK, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def size(self, obj: StoredObject) -> int:
        return self.path(obj).stat().st_size

    def open_local_path(self, obj: StoredObject) -> Path | None:
        return self.path(obj)

    def delete(self, obj: StoredObject) -> None:
        path = self.path(obj)
        path.unlink(missing_ok=True)
        _fsync_dir(path.parent)


    def put_once(self, key: str, data: bytes, *, retain_until: dt.datetime) -> str:
        final = self.root / key
        if final.exists():
            if final.read_bytes() != data:
                raise StoreError(f"{key} exists with other content; it is never replaced")
            return key
        handle, staged = self.new_staging_file()
        try:
            with handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(staged, 0o444)
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(staged, final)
            except FileExistsError:
                if final.read_bytes() != data:
                    raise StoreError(f"{key} exists with other content; it is never replaced") from None
            _fsync_dir(final.parent)
        finally:
            staged.unlink(missing_ok=True)
        return key

    def read_versions(self, prefix: str) -> Iterator[tuple[str, bytes, dt.datetime]]:
        base = self.root / prefix
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file():
                written = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
                yield path.relative_to(self.root).as_posix(), path.read_bytes(), written


class S3Store(ObjectStore):
    """An S3 bucket with Object Lock. Each object gets COMPLIANCE retention; reads name the version id."""

    name = "s3"
    SINGLE_PUT_LIMIT = 16 << 20
    MAX_PARTS = 9000

    def __init__(self, *, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str,
                 staging_dir: Path, default_retention_days: int) -> None:
        super().__init__(staging_dir)
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.default_retention = dt.timedelta(days=default_retention_days)
        self.client = boto3.client(
            "s3", endpoint_url=endpoint or None, aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None, region_name=region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"}),
        )

    def ensure_bucket(self) -> None:
        """Create the bucket, locked, if it is missing; refuse it unless it is write-once (``check_write_once``)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket, ObjectLockEnabledForBucket=True)
            self.client.put_object_lock_configuration(Bucket=self.bucket, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": self.default_retention.days}}})
        self.check_write_once()

    def check_write_once(self) -> None:
        """Versioning on, Object Lock on, and COMPLIANCE as the bucket's default retention: otherwise an object written
        by anyone but this system, or an overwrite, could later be removed. Start-up refuses such a bucket."""
        from botocore.exceptions import ClientError, EndpointConnectionError

        try:
            versioning = self.client.get_bucket_versioning(Bucket=self.bucket).get("Status")
            try:
                lock = self.client.get_object_lock_configuration(Bucket=self.bucket).get("ObjectLockConfiguration", {})
            except ClientError:
                lock = {}
        except (ClientError, EndpointConnectionError) as exc:
            raise StoreError(f"S3 bucket {self.bucket}: cannot read its configuration ({exc})") from exc
        missing = []
        if versioning != "Enabled":
            missing.append("versioning")
        if lock.get("ObjectLockEnabled") != "Enabled":
            missing.append("Object Lock")
        elif lock.get("Rule", {}).get("DefaultRetention", {}).get("Mode") != "COMPLIANCE":
            missing.append("default retention in COMPLIANCE mode")
        if missing:
            raise StoreError(f"S3 bucket {self.bucket} is not write-once: it lacks {', '.join(missing)}. "
                             "Use a bucket created with Object Lock and a COMPLIANCE default retention.")

    def _existing(self, key: str) -> StoredObject | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return StoredObject(self.name, key, head.get("VersionId", ""))

    def _lock_args(self, retain_until: dt.datetime | None, legal_hold: bool) -> dict:
        until = retain_until or (dt.datetime.now(dt.UTC) + self.default_retention)
        args = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}
        if legal_hold:
            args["ObjectLockLegalHoldStatus"] = "ON"
        return args

    def adopts(self, path: Path) -> bool:
        return True  # the object is sent from the file itself; nothing is staged locally

    def adopt(self, path: Path, digests: Digests, *, retain_until: dt.datetime | None = None,
              legal_hold: bool = False) -> tuple[StoredObject, bool]:
        key = object_key(digests.sha256)
        existing = self._existing(key)
        if existing is not None:
            return existing, False
        args = {"Bucket": self.bucket, "Key": key, "ChecksumAlgorithm": "SHA256",
                **self._lock_args(retain_until, legal_hold)}
        if digests.size <= self.SINGLE_PUT_LIMIT:
            with open(path, "rb") as body:
                response = self.client.put_object(Body=body, **args)
        else:
            response = self._multipart(path, digests.size, args)
        return StoredObject(self.name, key, response.get("VersionId", "")), True

    def commit(self, staged: Path, digests: Digests, *, retain_until: dt.datetime | None = None,
               legal_hold: bool = False) -> tuple[StoredObject, bool]:
        try:
            return self.adopt(staged, digests, retain_until=retain_until, legal_hold=legal_hold)
        finally:
            staged.unlink(missing_ok=True)

    def _multipart(self, staged: Path, size: int, args: dict) -> dict:
        part_size = max(self.SINGLE_PUT_LIMIT, -(-size // self.MAX_PARTS))
        upload = self.client.create_multipart_upload(**args)
        upload_id = upload["UploadId"]
        parts = []
        try:
            with open(staged, "rb") as body:
                number = 1
                while chunk := body.read(part_size):
                    part = self.client.upload_part(Bucket=args["Bucket"], Key=args["Key"], UploadId=upload_id,
                                                   PartNumber=number, Body=chunk, ChecksumAlgorithm="SHA256")
                    parts.append({"PartNumber": number, "ETag": part["ETag"],
                                  "ChecksumSHA256": part.get("ChecksumSHA256")})
                    number += 1
                    del chunk
            parts = [{k: v for k, v in p.items() if v is not None} for p in parts]
            return self.client.complete_multipart_upload(Bucket=args["Bucket"], Key=args["Key"], UploadId=upload_id,
                                                         MultipartUpload={"Parts": parts})
        except BaseException:
            self.client.abort_multipart_upload(Bucket=args["Bucket"], Key=args["Key"], UploadId=upload_id)
            raise

    def _version(self, obj: StoredObject) -> dict:
        return {"VersionId": obj.version_id} if obj.version_id else {}

    def read_range(self, obj: StoredObject, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        byte_range = f"bytes={start}-{'' if end is None else end}"
        response = self.client.get_object(Bucket=self.bucket, Key=obj.key, Range=byte_range, **self._version(obj))
        yield from response["Body"].iter_chunks(READ_CHUNK)

    def size(self, obj: StoredObject) -> int:
        return self.client.head_object(Bucket=self.bucket, Key=obj.key, **self._version(obj))["ContentLength"]

    def extend_retention(self, obj: StoredObject, until: dt.datetime) -> dt.datetime:
        """Move the COMPLIANCE retain-until date later, never earlier; return the date now in force."""
        current = self.client.get_object_retention(Bucket=self.bucket, Key=obj.key, **self._version(obj))
        in_force = current["Retention"]["RetainUntilDate"]
        if until <= in_force:
            return in_force
        self.client.put_object_retention(Bucket=self.bucket, Key=obj.key, **self._version(obj),
                                         Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
        return until

    def set_legal_hold(self, obj: StoredObject, on: bool) -> None:
        self.client.put_object_legal_hold(Bucket=self.bucket, Key=obj.key, **self._version(obj),
                                          LegalHold={"Status": "ON" if on else "OFF"})

    def deletable(self, obj: StoredObject) -> bool:
        from botocore.exceptions import ClientError

        # No lock configured on the object, or the object already gone: nothing stands in the way.
        unlocked = ("NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "NoSuchKey",
                    "NoSuchVersion", "404")
        try:
            retention = self.client.get_object_retention(Bucket=self.bucket, Key=obj.key, **self._version(obj))
            until = retention.get("Retention", {}).get("RetainUntilDate")
            if until is not None and until > dt.datetime.now(dt.UTC):
                return False
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in unlocked:
                return False
        try:
            hold = self.client.get_object_legal_hold(Bucket=self.bucket, Key=obj.key, **self._version(obj))
        except ClientError as error:
            return error.response.get("Error", {}).get("Code") in unlocked
        return hold.get("LegalHold", {}).get("Status") != "ON"

    def delete(self, obj: StoredObject) -> None:
        from botocore.exceptions import ClientError

        if not obj.version_id:  # without a version, S3 only lays a delete marker over locked bytes
            raise StoreError(f"{obj.key}: no version id, refusing to lay a delete marker instead of deleting")
        try:
            self.client.delete_object(Bucket=self.bucket, Key=obj.key, **self._version(obj))
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "NoSuchVersion", "404"):
                return
            if code in ("AccessDenied", "InvalidRequest", "ObjectLockConfigurationNotFoundError"):
                raise ObjectLocked(f"{obj.key}: {error}") from error
            raise

    def put_once(self, key: str, data: bytes, *, retain_until: dt.datetime) -> str:
        existing = self._existing(key)
        if existing is not None:
            stored = self.client.get_object(Bucket=self.bucket, Key=key, **self._version(existing))["Body"].read()
            if stored != data:
                raise StoreError(f"{key} exists with other content; it is never replaced")
            return f"{key}?versionId={existing.version_id}"
        response = self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ChecksumAlgorithm="SHA256",
                                          **self._lock_args(retain_until, False))
        return f"{key}?versionId={response.get('VersionId', '')}"

    def read_versions(self, prefix: str) -> Iterator[tuple[str, bytes, dt.datetime]]:
        # Every version, not only the newest: an overwrite by someone holding the credentials adds a version and
        # leaves the locked one in place, and a delete only lays a marker over it.
        pages = self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=prefix)
        for page in pages:
            for version in page.get("Versions", []):
                body = self.client.get_object(Bucket=self.bucket, Key=version["Key"],
                                              VersionId=version["VersionId"])["Body"].read()
                yield f"{version['Key']}?versionId={version['VersionId']}", body, version["LastModified"]


@dataclass
class Leftovers:
    """What a sweep of staging files found: removed (owner gone) and kept (still locked or too recent)."""

    removed: int = 0
    removed_bytes: int = 0
    kept: int = 0
    oldest_kept: dt.datetime | None = None


def sweep_staging(directory: Path, grace: dt.timedelta) -> Leftovers:
    """Remove staging files of crashed work: untouched for ``grace`` and not locked by a live process.

    A file in use is locked by its owner for as long as the work lasts, so it stays whatever its age; the grace
    period covers the moment between a file's creation and its lock, and file systems whose locks are unreliable.
    """
    found = Leftovers()
    if not directory.is_dir():
        return found
    cutoff = time.time() - grace.total_seconds()
    for entry in os.scandir(directory):
        if not entry.is_file(follow_symlinks=False):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # gone meanwhile: its owner finished
        try:
            locked_by_owner = False
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                locked_by_owner = True
            if locked_by_owner or info.st_mtime > cutoff:
                found.kept += 1
                moment = dt.datetime.fromtimestamp(info.st_mtime, dt.UTC)
                found.oldest_kept = min(found.oldest_kept or moment, moment)
                continue
            os.unlink(entry.path)
            found.removed += 1
            found.removed_bytes += info.st_size
        finally:
            os.close(fd)
    return found


@cache
def store_named(name: str) -> ObjectStore:
    if name == LocalStore.name:
        return LocalStore(settings.EVIDENCE_STORE_DIR)
    if name == S3Store.name:
        s3 = settings.EVIDENCE_S3
        if not s3["bucket"]:
            raise StoreError("LAWTRACE_S3_BUCKET is not set")
        return S3Store(**s3, staging_dir=settings.DATA_DIR / "staging")
    raise StoreError(f"unknown object store {name!r}")


def default_store() -> ObjectStore:
    """The store new objects go to; objects already stored are read through the backend named on their row."""
    return store_named(settings.EVIDENCE_STORE)
