"""One write per file, measured in bytes the process writes (/proc/self/io): a file already filed is recognised while
it is read and nothing is written; a finished upload is linked into the store, not copied; a full disk keeps the
upload and files it later."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from evidence import store as store_module
from evidence import uploads
from evidence.derivatives import stored_object
from evidence.ingest import Origin, ingest_file
from evidence.models import Record, UploadSession
from evidence.store import StorageFull, default_store

SIZE = 16 << 20
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def written() -> int:
    """Bytes this process has handed to write(2) so far, database included."""
    with open("/proc/self/io") as counters:
        return next(int(line.split()[1]) for line in counters if line.startswith("wchar:"))


@pytest.fixture
def dump_origin(agency, an_officer):
    return Origin(agency=agency, channel=Record.Channel.DUMP, officer=an_officer, ingested_by=an_officer)


@pytest.fixture
def big(tmp_path) -> Path:
    path = tmp_path / "DSJ00042_410001_20261102090000_0001.mp4"
    path.write_bytes(os.urandom(SIZE))
    return path


def test_a_second_import_of_a_filed_file_writes_nothing(dump_origin, big, monkeypatch):
    before = written()
    first = ingest_file(big, big.name, dump_origin)
    assert first.created and written() - before >= SIZE  # copied into the store once
    staged = []
    real = store_module.ObjectStore.new_staging_file
    monkeypatch.setattr(store_module.ObjectStore, "new_staging_file",
                        lambda self, *a, **k: staged.append(1) or real(self, *a, **k))
    before = written()
    again = ingest_file(big, big.name, dump_origin)
    assert not again.created and again.record == first.record
    assert written() - before < SIZE // 16  # an event and a few rows, not the file
    assert staged == []


def test_new_content_the_size_of_a_stored_object_is_written_once(dump_origin, big, tmp_path):
    ingest_file(big, big.name, dump_origin)
    twin = tmp_path / "DSJ00042_410001_20261102091000_0002.mp4"
    twin.write_bytes(os.urandom(SIZE))
    before = written()
    outcome = ingest_file(twin, twin.name, dump_origin)
    assert outcome.created
    assert SIZE <= written() - before < SIZE + SIZE // 16
    assert default_store().path(stored_object(outcome.record.blob)).read_bytes() == twin.read_bytes()
    assert not any(default_store().staging_dir.iterdir())


def test_filing_a_finished_upload_links_it_into_the_store_without_a_copy(an_officer):
    content = os.urandom(SIZE)
    session = uploads.create_session(an_officer, len(content), {"filename": "现场.mp4"})
    uploads.append(session, 0, io.BytesIO(content), len(content))
    part = uploads.part_path(session)
    inode = part.stat().st_ino
    before = written()
    uploads.file_session(UploadSession.objects.get(pk=session.pk))
    assert written() - before < SIZE // 16
    session.refresh_from_db()
    stored = default_store().path(stored_object(session.record.blob))
    assert stored.stat().st_ino == inode and stored.read_bytes() == content
    assert not part.exists() and stored.stat().st_nlink == 1
    assert oct(stored.stat().st_mode)[-3:] == "444"


def test_a_full_disk_keeps_the_upload_and_files_it_later(an_officer, settings, monkeypatch):
    settings.TASKS = IMMEDIATE
    content = os.urandom(1 << 20)
    session = uploads.create_session(an_officer, len(content), {"filename": "现场.mp4"})
    uploads.append(session, 0, io.BytesIO(content), len(content))

    def full(self, *args, **kwargs):
        raise StorageFull("No space left on device")

    monkeypatch.setattr(store_module.LocalStore, "adopt", full)
    session = uploads.file_session(UploadSession.objects.get(pk=session.pk))
    assert session.state == UploadSession.State.RECEIVED and session.retry_at is not None
    assert "空间" in session.message or "disk is full" in session.message
    assert uploads.part_path(session).read_bytes() == content
    assert not Record.objects.exists()
    monkeypatch.undo()
    later = timezone.now() + dt.timedelta(minutes=2)
    assert uploads.rescue_stranded(later) == 0  # not before its retry time
    assert uploads.rescue_stranded(session.retry_at + dt.timedelta(seconds=1)) == 1
    session.refresh_from_db()
    # Random bytes: kept as an unreadable file, which is a decided filing all the same.
    assert session.state == UploadSession.State.QUARANTINED and session.record and session.attempts == 2
    assert not uploads.part_path(session).exists()


def test_the_station_is_told_507_when_the_disk_is_full_for_every_file(client, agency, monkeypatch, tmp_path):
    from evidence.services import create_station
    from evidence.synthetic import make_video
    from tests.factories import DeviceFactory, officer

    _station, token = create_station(agency, name="一号采集站")
    DeviceFactory(agency=agency, serial="DSJ7")
    officer(agency, staff_number="4101")
    upload = io.BytesIO(make_video(tmp_path / "v.mp4", seconds=1).read_bytes())
    upload.name = "a.mp4"

    def full(self, *args, **kwargs):
        raise StorageFull("No space left on device")

    monkeypatch.setattr(store_module.LocalStore, "adopt", full)
    response = client.post("/api/v1/station/dumps/", {"device": "DSJ7", "officer": "4101", "file": [upload]},
                           HTTP_AUTHORIZATION=f"Station {token}")
    assert response.status_code == 507
    result = response.json()["results"][0]
    assert result["status"] == "refused" and result["code"] == "disk_full"
    assert not Record.objects.exists() and not any(default_store().staging_dir.iterdir())


def test_an_upload_whose_filing_task_vanished_is_queued_again(an_officer, settings):
    settings.TASKS = IMMEDIATE
    content = os.urandom(4096)
    session = uploads.create_session(an_officer, len(content), {"filename": "a.mp4"})
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=5)):
        uploads.append(session, 0, io.BytesIO(content), len(content))  # received; its task was never run
    UploadSession.objects.filter(pk=session.pk).update(state=UploadSession.State.RECEIVED, task_id="gone")
    assert uploads.rescue_stranded() == 1
    session.refresh_from_db()
    assert session.state in (UploadSession.State.FILED, UploadSession.State.QUARANTINED)


def test_a_station_upload_spooled_to_disk_becomes_the_stored_object_without_another_copy(client, agency, settings):
    from evidence.services import create_station
    from tests.factories import DeviceFactory, officer

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every file spooled to FILE_UPLOAD_TEMP_DIR, as large ones are
    _station, token = create_station(agency, name="一号采集站")
    DeviceFactory(agency=agency, serial="DSJ7")
    officer(agency, staff_number="4101")
    content = os.urandom(SIZE // 2)
    upload = io.BytesIO(content)
    upload.name = "DSJ7_4101_20261102090000_0001.mp4"
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    default_store().root.mkdir(parents=True, exist_ok=True)
    same_disk = os.stat(spool).st_dev == os.stat(default_store().root).st_dev
    before = written()
    response = client.post("/api/v1/station/dumps/", {"device": "DSJ7", "officer": "4101", "file": [upload]},
                           HTTP_AUTHORIZATION=f"Station {token}")
    spent = written() - before
    assert response.status_code == 207 and response.json()["results"][0]["status"] == "quarantined"  # random bytes
    record = Record.objects.get()
    assert default_store().path(stored_object(record.blob)).read_bytes() == content
    copies = 1 if same_disk else 2  # Django's spool, and a copy only where the store is on another disk
    assert copies * len(content) <= spent < copies * len(content) + SIZE // 8
    assert not [p for p in spool.iterdir() if p.name.endswith(".upload.mp4")]
