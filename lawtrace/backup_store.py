"""Copying the object store into a backup directory and back (see ``lawtrace.backup``).

Objects are write-once and named by content, so a backup copies each object once ever; later backups only list.
Copies are written under a temporary name and renamed, so an interrupted backup leaves no half object. Restoring
into S3 puts every object back under Object Lock (COMPLIANCE, never shorter than when it was backed up, and the
legal hold as it was) and points the database's rows at the new object versions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction

_BLOB_KEY = re.compile(r"^sha256/[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64})$")
CHUNK = 1 << 20


def _write_once(target: Path, chunks: Iterator[bytes]) -> tuple[int, str]:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest, size = hashlib.sha256(), 0
    with open(partial, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(partial, 0o444)
    os.replace(partial, target)
    return size, digest.hexdigest()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _check_name(key: str, digest: str) -> None:
    named = _BLOB_KEY.match(key)
    if named and named.group(1) != digest:
        raise OSError(f"{key}: the bytes hash to {digest}, not to the hash the object is named by")


class Copier:
    """Copies the configured store into ``target`` and lists what a snapshot needs."""

    def __init__(self, target: Path) -> None:
        from evidence.store import default_store

        self.target = target
        self.store = default_store()
        self.index: dict[str, dict] = {}
        self.copied = 0
        self.bytes_copied = 0

    def _take(self, key: str, size: int, chunks) -> None:
        destination = self.target / key
        if not (destination.exists() and destination.stat().st_size == size):
            written, digest = _write_once(destination, chunks())
            _check_name(key, digest)
            self.copied += 1
            self.bytes_copied += written
        self.index.setdefault(key, {"key": key, "size": size})

    def copy_all(self) -> None:
        if self.store.name == "local":
            root = Path(settings.EVIDENCE_STORE_DIR)
            for path in sorted(root.rglob("*")) if root.exists() else []:
                relative = path.relative_to(root)
                if path.is_file() and relative.parts[0] != ".staging":
                    self._take(relative.as_posix(), path.stat().st_size, lambda p=path: _file_chunks(p))
            return
        client, bucket = self.store.client, self.store.bucket
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                self._take_s3(item["Key"], item["Size"], None)

    def _take_s3(self, key: str, size: int, version_id: str | None) -> None:
        from botocore.exceptions import ClientError

        client, bucket = self.store.client, self.store.bucket
        version = {"VersionId": version_id} if version_id else {}

        def chunks():
            body = client.get_object(Bucket=bucket, Key=key, **version)["Body"]
            yield from body.iter_chunks(CHUNK)

        self._take(key, size, chunks)
        entry = self.index[key]
        try:
            retention = client.get_object_retention(Bucket=bucket, Key=key, **version)["Retention"]
            entry["retain_until"] = retention["RetainUntilDate"].isoformat()
        except ClientError:
            pass  # not under retention
        try:
            hold = client.get_object_legal_hold(Bucket=bucket, Key=key, **version)["LegalHold"]["Status"]
            entry["legal_hold"] = hold == "ON"
        except ClientError:
            pass

    def copy_blobs(self) -> None:
        """Originals and derivatives the database names, copied if the first pass missed them."""
        from evidence.models import Blob

        rows = Blob.objects.filter(purged_at__isnull=True, backend=self.store.name)
        for key, size, version_id in rows.values_list("key", "size", "version_id").iterator(chunk_size=2000):
            if key in self.index and (self.target / key).exists():
                continue
            if self.store.name == "local":
                path = Path(settings.EVIDENCE_STORE_DIR) / key
                self._take(key, size, lambda p=path: _file_chunks(p))
            else:
                self._take_s3(key, size, version_id or None)

    def write_index(self, path: Path) -> None:
        with open(path, "w", encoding="utf-8") as out:
            for key in sorted(self.index):
                out.write(json.dumps(self.index[key]) + "\n")


def prune(store_copy: Path, wanted: set[str]) -> int:
    removed = 0
    for path in list(store_copy.rglob("*")):
        if path.is_file() and path.relative_to(store_copy).as_posix() not in wanted:
            path.unlink()
            removed += 1
    return removed


def restore(store_copy: Path, index_path: Path) -> int:
    from evidence.store import default_store

    store = default_store()
    entries = [json.loads(line) for line in index_path.read_text(encoding="utf-8").splitlines() if line]
    if store.name == "local":
        root = Path(settings.EVIDENCE_STORE_DIR)
        for entry in entries:
            target = root / entry["key"]
            if target.exists():
                if target.stat().st_size != entry["size"]:
                    raise OSError(f"{target} exists with another size; restore only into an empty store")
                continue
            _size, digest = _write_once(target, _file_chunks(store_copy / entry["key"]))
            _check_name(entry["key"], digest)
        return len(entries)
    return _restore_s3(store, store_copy, entries)


def _restore_s3(store, store_copy: Path, entries: list[dict]) -> int:
    from evidence.models import Blob

    store.ensure_bucket()
    floor = dt.datetime.now(dt.UTC) + store.default_retention
    versions: dict[str, str] = {}
    for entry in entries:
        until = floor
        if entry.get("retain_until"):
            until = max(floor, dt.datetime.fromisoformat(entry["retain_until"]))
        path = store_copy / entry["key"]
        digest = hashlib.sha256()
        for chunk in _file_chunks(path):
            digest.update(chunk)
        _check_name(entry["key"], digest.hexdigest())
        extra = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until,
                 "ChecksumAlgorithm": "SHA256"}
        if entry.get("legal_hold"):
            extra["ObjectLockLegalHoldStatus"] = "ON"
        store.client.upload_file(str(path), store.bucket, entry["key"], ExtraArgs=extra)
        versions[entry["key"]] = store.client.head_object(Bucket=store.bucket, Key=entry["key"]).get("VersionId", "")
    with transaction.atomic():
        for key, version in versions.items():
            Blob.objects.filter(backend=store.name, key=key).update(version_id=version)
    return len(entries)
