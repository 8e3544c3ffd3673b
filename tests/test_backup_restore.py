"""Backups and the restore drill: into a fresh database, key directory and store, the ledger verifies, every
record plays, and fixity is clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from evidence.ingest import Origin, ingest_file
from evidence.synthetic import make_photo, make_video
from ledger.checkpoints import make_checkpoint
from ledger.events import record_event

ROOT = Path(__file__).resolve().parent.parent

PLAY = """
import re, sys
from django.test import Client
from evidence.models import Record
from org.models import User
client = Client(HTTP_HOST="localhost")
client.force_login(User.objects.get(username=sys.argv[1]))
record = Record.objects.get(original_name="clip.mp4")
page = client.get(f"/evidence/{record.pk}/play/").content.decode()
src = re.search(r'<video id="player"[^>]* src="([^"]+)"', page).group(1)
part = client.get(src, HTTP_RANGE="bytes=0-999")
print(part.status_code, b"".join(part.streaming_content).hex())
"""


@pytest.fixture
def installation(transactional_db, agency, an_officer, tmp_path, settings):
    """A running installation with a few records, derivatives, events and a signed checkpoint, all committed."""
    from evidence import derivatives

    settings.LEDGER_KEY_DIR = tmp_path / "keys"
    origin = Origin(agency=agency, channel="upload", ingested_by=an_officer, officer=an_officer)
    clip = make_video(tmp_path / "clip.mp4", seconds=2)
    record = ingest_file(clip, "clip.mp4", origin).record
    ingest_file(make_photo(tmp_path / "p.jpg"), "p.jpg", origin)
    derivatives.make_all(record)
    with transaction.atomic():
        record_event("test.before_backup")
    make_checkpoint()
    return clip.read_bytes()


def fresh_database(tmp_path: Path) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    name = f"restored_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"


def run(args: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=300)


def test_restore_drill_into_a_fresh_database_and_store(installation, an_officer, tmp_path, settings):
    dest = tmp_path / "backups"
    call_command("backup", str(dest))
    first = sorted(p for p in dest.iterdir() if p.name != "store")[0]
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["store"]["objects"] >= 4  # video, photo, their derivatives
    assert (first / "keys" / "ledger-keys" / "checkpoint-signing.pem").stat().st_mode & 0o077 == 0
    # A second backup copies nothing new: the store copy is incremental.
    call_command("backup", str(dest))

    target = tmp_path / "target"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LAWTRACE_")}
    environment.update({"DATABASE_URL": fresh_database(tmp_path), "LAWTRACE_DATA_DIR": str(target),
                        "LAWTRACE_LEDGER_KEY_DIR": str(target / "keys"), "LAWTRACE_STORE_DIR": str(target / "o")})
    restored = run(["restore", str(dest)], environment)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    check = json.loads(restored.stdout.strip().splitlines()[-1])
    assert check["passed"] and check["ledger_verified"] and check["records_played"] == 2
    assert check["objects_checked"] >= 4 and check["damaged_objects"] == []
    # A person plays the recording on the restored installation, through the page and a Range request.
    (tmp_path / "play.py").write_text(PLAY, encoding="utf-8")
    played = run(["shell", "-c", f"import sys; sys.argv = ['x', {an_officer.username!r}]; "
                  f"exec(open({str(tmp_path / 'play.py')!r}).read())"], environment)
    status, body = played.stdout.split()[-2:]
    assert status == "206" and bytes.fromhex(body) == installation[:1000], played.stderr
    # The signing key came back: the restored installation signs checkpoints the witnesses already know.
    assert (target / "keys" / "checkpoint-signing.pem").read_bytes() == \
        (settings.LEDGER_KEY_DIR / "checkpoint-signing.pem").read_bytes()


def test_a_damaged_backup_or_a_used_database_is_refused(installation, tmp_path):
    from lawtrace.backup import BackupError, restore

    dest = tmp_path / "backups"
    call_command("backup", str(dest))
    snapshot = next(p for p in dest.iterdir() if p.name != "store")
    # Into the running installation's own database: refused before anything is touched.
    with pytest.raises(BackupError, match="not empty"):
        restore(snapshot)
    dump = next(p for p in snapshot.iterdir() if p.name.startswith("database."))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="damaged"):
        restore(snapshot)
