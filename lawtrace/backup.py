"""Backup and restore of a whole installation: the database, the keys, and the store.

A backup directory holds snapshots and one shared copy of the store::

    DEST/store/<object key>          every object once (objects are content-addressed and write-once, so each
                                     backup copies only the objects it has not copied before)
    DEST/<UTC time>/database.dump    pg_dump (custom format), or database.sqlite3 (SQLite's online backup)
    DEST/<UTC time>/keys/…           the checkpoint signing key and the generated secret key
    DEST/<UTC time>/objects.jsonl    the objects this snapshot needs: key, SHA-256, size, Object Lock state
    DEST/<UTC time>/manifest.json    written last: a snapshot without one is incomplete and never restored

Order matters. The store is copied once before the database is dumped and once after: the first pass takes every
object (published checkpoints too) as of a moment before the dump, so no checkpoint in the backup is newer than the
database it is restored with (verification would rightly call that a rolled-back log); the second pass adds the
originals and derivatives that rows in the dump name but that arrived during the first pass.

The backup holds the private signing key: keep DEST readable by the service account only (snapshots are made
mode 700) and on another disk or machine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from lawtrace import backup_store

SNAPSHOT_FORMAT = "%Y%m%dT%H%M%S.%fZ"


class BackupError(Exception):
    pass


@dataclass
class Summary:
    snapshot: Path
    database_bytes: int = 0
    objects: int = 0
    objects_copied: int = 0
    bytes_copied: int = 0
    ledger_size: int = 0
    notes: list[str] = field(default_factory=list)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def pg_binary(name: str) -> str:
    """pg_dump / pg_restore: the newest installed server binaries first (they read older servers' data too)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install postgresql-client")
    return found


def _pg_target() -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL tools; the password goes through the environment, not argv."""
    db = settings.DATABASES["default"]
    args = ["--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    environment = {**os.environ}
    if db.get("PASSWORD"):
        environment["PGPASSWORD"] = db["PASSWORD"]
    return args, environment


def _dump_database(snapshot: Path) -> dict:
    if connection.vendor == "postgresql":
        target = snapshot / "database.dump"
        args, environment = _pg_target()
        subprocess.run([pg_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                        "--file", str(target), *args], check=True, env=environment, capture_output=True)
    else:
        target = snapshot / "database.sqlite3"
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)  # consistent even while the server and workers write
        finally:
            copy.close()
            source.close()
    return {"vendor": connection.vendor, "file": target.name, "sha256": _file_sha256(target),
            "size": target.stat().st_size}


def _key_files() -> dict[str, Path]:
    files = {}
    key_dir = Path(settings.LEDGER_KEY_DIR)
    if key_dir.is_dir():
        files.update({f"ledger-keys/{p.name}": p for p in sorted(key_dir.iterdir()) if p.is_file()})
    secret = Path(settings.DATA_DIR) / "secret_key"
    if secret.is_file():
        files["secret_key"] = secret
    return files


def backup(dest: Path, *, keep: int = 7, store: bool = True) -> Summary:
    from ledger import tree

    dest.mkdir(parents=True, exist_ok=True)
    os.chmod(dest, 0o700)
    snapshot = dest / dt.datetime.now(dt.UTC).strftime(SNAPSHOT_FORMAT)
    snapshot.mkdir(mode=0o700)
    summary = Summary(snapshot)
    copier = backup_store.Copier(dest / "store") if store else None
    if copier:
        copier.copy_all()  # before the dump: nothing in the backup is newer than the database
    database = _dump_database(snapshot)
    summary.database_bytes = database["size"]
    with connection.cursor():
        summary.ledger_size = tree.current_size()
    keys = {}
    for name, path in _key_files().items():
        target = snapshot / "keys" / name
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(path, target)
        os.chmod(target, 0o600)
        keys[name] = _file_sha256(target)
    if copier:
        copier.copy_blobs()  # what the dump's rows name and arrived meanwhile
        copier.write_index(snapshot / "objects.jsonl")
        summary.objects, summary.objects_copied, summary.bytes_copied = (len(copier.index), copier.copied,
                                                                         copier.bytes_copied)
    manifest = {"format": 1, "created_at": dt.datetime.now(dt.UTC).isoformat(), "database": database, "keys": keys,
                "store": {"backend": settings.EVIDENCE_STORE, "included": store, "objects": summary.objects},
                "ledger_size": summary.ledger_size}
    (snapshot / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    _prune(dest, keep)
    return summary


def snapshots(dest: Path) -> list[Path]:
    """Complete snapshots, oldest first."""
    return sorted(p for p in dest.iterdir() if p.is_dir() and (p / "manifest.json").exists())


def _prune(dest: Path, keep: int) -> None:
    complete = snapshots(dest)
    for old in complete[:-keep] if keep > 0 else []:
        shutil.rmtree(old)
    # Objects no kept snapshot names (purged by an approved disposal) leave the backup too.
    if (dest / "store").is_dir():
        wanted: set[str] = set()
        for snapshot in snapshots(dest):
            index = snapshot / "objects.jsonl"
            if index.exists():
                with open(index, encoding="utf-8") as lines:
                    wanted.update(json.loads(line)["key"] for line in lines)
        backup_store.prune(dest / "store", wanted)


def _empty_database() -> bool:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if connection.vendor == "postgresql":
        return not tables  # pg_restore creates every table itself: a database made with createdb, not migrated
    if "ledger_ledgerhead" not in tables:
        return True
    from ledger.models import Event

    return not Event.objects.exists()


def restore(snapshot: Path) -> dict:
    """Restore a snapshot into the configured database, key directory and store, which must be empty."""
    manifest_path = snapshot / "manifest.json"
    if not manifest_path.exists():
        raise BackupError(f"{snapshot} is not a complete snapshot (no manifest.json)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    database = manifest["database"]
    if database["vendor"] != connection.vendor:
        raise BackupError(f"the snapshot holds a {database['vendor']} database; this installation uses "
                          f"{connection.vendor}")
    dump = snapshot / database["file"]
    if _file_sha256(dump) != database["sha256"]:
        raise BackupError(f"{dump} does not match the SHA-256 in the manifest: the backup is damaged")
    if not _empty_database():
        raise BackupError("the database is not empty: restore only into a fresh one (PostgreSQL: createdb, "
                          "without migrate)")
    _restore_keys(snapshot, manifest["keys"])
    if connection.vendor == "postgresql":
        args, environment = _pg_target()
        connection.close()
        subprocess.run([pg_binary("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", *args,
                        str(dump)], check=True, env=environment, capture_output=True)
    else:
        target = Path(settings.DATABASES["default"]["NAME"])
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(dump, target)
    restored = {"database": database["vendor"], "keys": len(manifest["keys"]), "objects": 0}
    if manifest["store"]["included"]:
        restored["objects"] = backup_store.restore(snapshot.parent / "store", snapshot / "objects.jsonl")
    return restored


def _restore_keys(snapshot: Path, keys: dict[str, str]) -> None:
    key_dir = Path(settings.LEDGER_KEY_DIR)
    for name, digest in keys.items():
        source = snapshot / "keys" / name
        if _file_sha256(source) != digest:
            raise BackupError(f"{source} does not match the SHA-256 in the manifest")
        target = key_dir / name.removeprefix("ledger-keys/") if name.startswith("ledger-keys/") \
            else Path(settings.DATA_DIR) / name
        # The secret key is made on first start, so a fresh installation has its own; the backup's wins (sessions
        # and stream links of the old installation stay valid). A different signing key is never overwritten.
        if target.exists() and _file_sha256(target) != digest and name != "secret_key":
            raise BackupError(f"{target} exists and differs from the backup; move it away first")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.unlink(missing_ok=True)
        shutil.copy2(source, target)
        os.chmod(target, 0o600)


def check_restored() -> dict:
    """The drill's questions, answered on the restored installation: does the ledger verify (against the published
    checkpoints, where the ledger reads them), does every record play, is every stored object intact?"""
    from evidence.fixity import check
    from evidence.models import Blob, FixityCheck, Record
    from evidence.streaming import ranged_response
    from ledger.verification import verify_ledger

    ledger = verify_ledger()
    unplayable = []
    records = Record.objects.filter(blob__purged_at__isnull=True).select_related("blob")
    for record in records.iterator(chunk_size=500):
        response = ranged_response(record.blob, "application/octet-stream", "bytes=0-65535")
        received = b"".join(response.streaming_content) if response.status_code == 206 else b""
        if len(received) != min(65536, record.blob.size):
            unplayable.append(record.pk)
    damaged = []
    checked = 0
    for blob in Blob.objects.filter(purged_at__isnull=True).iterator(chunk_size=500):
        checked += 1
        if check(blob, rate=float(1 << 40)).outcome != FixityCheck.Outcome.INTACT:
            damaged.append(blob.sha256)
    return {"ledger_verified": ledger.passed, "ledger_events": ledger.events_checked,
            "ledger_problems": [f"{p.where}: {p.message}" for p in ledger.problems[:20]],
            "records_played": records.count() - len(unplayable), "unplayable_records": unplayable,
            "objects_checked": checked, "damaged_objects": damaged,
            "passed": ledger.passed and not unplayable and not damaged}
