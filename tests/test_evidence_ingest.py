"""Ingest: hashes, deduplication, classification from names and media, clock skew, bad input, dump import."""

from __future__ import annotations

import datetime as dt
import errno
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from evidence import ingest as ingest_module
from evidence.ingest import IngestRefused, Origin, ingest_file
from evidence.models import Blob, Record
from evidence.services import report_docking
from evidence.synthetic import make_pdf, make_photo, make_video
from ledger.models import Event
from tests.factories import CaseFactory, DeviceFactory, officer


@pytest.fixture
def camera(agency):
    return DeviceFactory(agency=agency, serial="DSJ00042")


@pytest.fixture
def origin(agency, an_officer, camera):
    return Origin(agency=agency, channel=Record.Channel.UPLOAD, ingested_by=an_officer, officer=an_officer,
                  device=camera)


@pytest.fixture
def clip(tmp_path) -> Path:
    return make_video(tmp_path / "clip.mp4", created=dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC))


def test_original_is_filed_with_sha256_and_sm3_and_an_event(origin, clip):
    import hashlib

    outcome = ingest_file(clip, "执法记录 01.mp4", origin)
    record = outcome.record
    content = clip.read_bytes()
    assert outcome.created
    assert record.blob.digests() == {"sha256": hashlib.sha256(content).hexdigest(),
                                     "sm3": hashlib.new("sm3", content).hexdigest()}
    assert record.original_name == "执法记录 01.mp4"
    assert record.kind == "av" and record.playable
    assert record.media["video_codec"] == "h264"
    assert record.recorded_start == dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
    assert record.recorded_end == record.recorded_start + dt.timedelta(seconds=2)
    event = Event.objects.get(verb="record.ingest", object_id=str(record.pk))
    assert event.after["sha256"] == record.blob.sha256 and event.after["sm3"] == record.blob.sm3


def test_identical_recording_is_stored_once_and_not_filed_twice(origin, clip):
    first = ingest_file(clip, "a.mp4", origin)
    second = ingest_file(clip, "copy of a.mp4", origin)
    assert not second.created and second.record == first.record
    assert "already filed" in second.message or "已" in second.message
    assert Record.objects.count() == 1 and Blob.objects.count() == 1
    assert Event.objects.filter(verb="record.duplicate").count() == 1


def test_a_written_record_filed_on_two_cases_references_one_stored_object(origin, agency, tmp_path):
    scan = make_pdf(tmp_path / "询问笔录.pdf")
    first = ingest_file(scan, scan.name, Origin(**{**origin.__dict__, "case": CaseFactory(agency=agency)}))
    second = ingest_file(scan, scan.name, Origin(**{**origin.__dict__, "case": CaseFactory(agency=agency)}))
    assert first.created and second.created
    assert first.record.blob_id == second.record.blob_id
    assert Blob.objects.count() == 1
    assert first.record.kind == "document" and first.record.link_state == "n/a"


def test_a_declared_hash_that_does_not_match_is_refused_and_recorded(origin, clip):
    origin.declared = {"sha256": "0" * 64}
    with pytest.raises(IngestRefused) as refused:
        ingest_file(clip, "a.mp4", origin)
    assert refused.value.code == "hash_mismatch"
    assert Record.objects.count() == 0
    denial = Event.objects.get(verb="record.ingest", result="denied")
    assert denial.detail["reason"] == "hash_mismatch"


def test_a_declared_hash_that_matches_is_accepted(origin, clip):
    import hashlib

    origin.declared = {"sha256": hashlib.sha256(clip.read_bytes()).hexdigest().upper(),
                       "sm3": hashlib.new("sm3", clip.read_bytes()).hexdigest()}
    assert ingest_file(clip, "a.mp4", origin).created


@pytest.mark.parametrize(("name", "content", "code"), [
    ("empty.mp4", b"", "empty"),
    ("notes.exe", b"MZ....", "unknown_type"),
    ("../..", b"x", "bad_name"),
])
def test_bad_input_is_refused_with_a_reason_and_leaves_nothing_behind(origin, tmp_path, name, content, code):
    source = tmp_path / "incoming"
    source.write_bytes(content)
    with pytest.raises(IngestRefused) as refused:
        ingest_file(source, name, origin)
    assert refused.value.code == code
    assert str(refused.value)
    assert Record.objects.count() == 0
    assert source.read_bytes() == content
    staging = origin_staging()
    assert not any(staging.iterdir()) if staging.exists() else True


def origin_staging() -> Path:
    from evidence.store import default_store

    return default_store().staging_dir


@pytest.mark.parametrize(("raw", "expected"), [
    ("../../etc/passwd.mp4", "passwd.mp4"),
    ("C:\\DCIM\\100MEDIA\\现场检查（一）.MP4", "现场检查（一）.MP4"),
    ("e\u0301tude.mp4", "\u00e9tude.mp4"),
])
def test_odd_names_are_made_safe_and_chinese_names_kept(origin, clip, raw, expected):
    assert ingest_file(clip, raw, origin).record.original_name == expected


def test_corrupt_media_is_kept_as_evidence_and_marked_unplayable(origin, clip, tmp_path):
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    record = ingest_file(truncated, "cut.mp4", origin).record
    assert not record.playable and record.kind == "unreadable"
    assert record.unreadable_reason == "index_missing" and not record.probe_error
    assert record.blob.size == truncated.stat().st_size


def test_disk_full_during_ingest_refuses_cleanly(origin, clip, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ingest_module.os, "fsync", full)  # the copy cannot be made durable: the disk is full
    with pytest.raises(IngestRefused) as refused:
        ingest_file(clip, "a.mp4", origin)
    assert refused.value.code == "disk_full"
    assert Record.objects.count() == 0 and Blob.objects.count() == 0
    assert not any(origin_staging().iterdir())
    monkeypatch.undo()
    assert ingest_file(clip, "a.mp4", origin).created


def test_camera_file_names_give_device_officer_and_start_time(agency, tmp_path):
    from evidence.models import FilenamePattern

    FilenamePattern.objects.create(brand="海康威视", model="DSJ-A8",
                                   regex=r"(?P<serial>[A-Z0-9]+)_(?P<officer>\d+)_(?P<start>\d{14})_(?P<seq>\d+)")
    FilenamePattern.objects.create(brand="其他", regex=r"(?P<officer>\d+)_(?P<serial>[A-Z0-9]+)_(?P<start>\d{14})")
    person = officer(agency, staff_number="410423")
    camera = DeviceFactory(agency=agency, serial="DSJA8X0001")
    path = make_video(tmp_path / "x.mp4", seconds=2)
    origin = Origin(agency=agency, channel=Record.Channel.UPLOAD, ingested_by=person)
    record = ingest_file(path, "DSJA8X0001_410423_20261121083015_0007.mp4", origin).record
    assert record.device == camera and record.officer == person
    assert record.recorded_start == timezone.make_aware(dt.datetime(2026, 11, 21, 8, 30, 15))
    assert record.recorded_time_source == "file_name"


def test_clock_skew_reported_at_docking_is_stored_on_each_clip(origin, camera, clip):
    now = timezone.now()
    report_docking(camera, device_time=now + dt.timedelta(seconds=93), reference_time=now)
    record = ingest_file(clip, "a.mp4", origin).record
    assert record.clock_skew_seconds == 93
    assert Event.objects.filter(verb="device.dock").exists()


def test_photos_read_their_exif_time(origin, tmp_path):
    photo = make_photo(tmp_path / "p.jpg", taken=dt.datetime(2026, 11, 21, 9, 5), make="DSJ")
    record = ingest_file(photo, "现场照片.jpg", origin).record
    assert record.kind == "photo" and record.media["make"] == "DSJ"
    assert record.recorded_start == timezone.make_aware(dt.datetime(2026, 11, 21, 9, 5))


# --- the camera dump import ------------------------------------------------------------------------------


@pytest.fixture
def dump(tmp_path) -> Path:
    root = tmp_path / "DCIM"
    (root / "100MEDIA").mkdir(parents=True)
    make_video(root / "100MEDIA" / "DSJ00042_410001_20261121090000_0001.mp4", seconds=1)
    make_video(root / "100MEDIA" / "DSJ00042_410001_20261121091000_0002.mp4", seconds=1, fps=12)
    make_photo(root / "现场照片.jpg")
    (root / "INDEX.DAT").write_bytes(b"camera index")
    return root


def test_ingest_dump_imports_a_folder_recursively_and_twice_imports_nothing_twice(agency, camera, dump):
    officer(agency, staff_number="410001")
    out = io.StringIO()
    call_command("ingest_dump", str(dump), "--device", "DSJ00042", "--officer", "410001", stdout=out)
    assert Record.objects.filter(channel="dump").count() == 3
    assert "INDEX.DAT" in out.getvalue()
    call_command("ingest_dump", str(dump), "--device", "DSJ00042", "--officer", "410001", stdout=io.StringIO())
    assert Record.objects.count() == 3
    sources = set(Record.objects.values_list("source_path", flat=True))
    assert "100MEDIA/DSJ00042_410001_20261121090000_0001.mp4" in sources


def test_ingest_dump_after_a_crash_leaves_no_half_record_and_a_rerun_finishes(agency, camera, dump, monkeypatch):
    officer(agency, staff_number="410001")
    real_file = ingest_module._file
    calls = {"n": 0}

    def crash_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed after the object was stored, before the record")
        return real_file(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "_file", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        call_command("ingest_dump", str(dump), "--device", "DSJ00042", "--officer", "410001", stdout=io.StringIO())
    assert Record.objects.count() == 1
    monkeypatch.setattr(ingest_module, "_file", real_file)
    call_command("ingest_dump", str(dump), "--device", "DSJ00042", "--officer", "410001", stdout=io.StringIO())
    assert Record.objects.count() == 3
    assert Blob.objects.count() == 3


def test_ingest_dump_refuses_unknown_devices_and_officers(agency, camera, dump):
    with pytest.raises(CommandError):
        call_command("ingest_dump", str(dump), "--device", "NOPE", "--officer", "1", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("ingest_dump", str(dump), "--device", "DSJ00042", "--officer", "999", stdout=io.StringIO())


def test_ingest_dump_does_not_follow_links_out_of_the_folder(agency, camera, dump, tmp_path):
    officer(agency, staff_number="410001")
    outside = make_video(tmp_path / "outside.mp4", seconds=1, fps=7)
    (dump / "link.mp4").symlink_to(outside)
    call_command("ingest_dump", str(dump), "--device", "DSJ00042", "--officer", "410001", stdout=io.StringIO())
    assert not Record.objects.filter(original_name="link.mp4").exists()


def test_station_command_shows_the_token_once_and_keeps_only_its_hash(agency):
    from evidence.models import Station
    from evidence.services import station_for_token

    out = io.StringIO()
    call_command("station", "add", "二号采集站", "--agency", agency.code, stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    station = Station.objects.get(name="二号采集站")
    assert token not in station.token_hash and station_for_token(token) == station
    call_command("station", "disable", "二号采集站", "--agency", agency.code, stdout=io.StringIO())
    assert station_for_token(token) is None
    assert Event.objects.filter(verb="station.disable").exists()


@pytest.mark.parametrize("regex", ["(unclosed", r"(?P<colour>\w+)", r"\d+"])
def test_file_name_patterns_must_compile_and_name_their_parts(regex):
    with pytest.raises(CommandError):
        call_command("station", "pattern", "某品牌", "X1", regex, stdout=io.StringIO())


def test_a_new_file_name_pattern_applies_to_the_next_import(agency, tmp_path):
    call_command("station", "pattern", "华德安", "", r"(?P<start>\d{14})-(?P<officer>\d+)", stdout=io.StringIO())
    person = officer(agency, staff_number="7788")
    path = make_video(tmp_path / "x.mp4", seconds=1)
    record = ingest_file(path, "20261121101500-7788.mp4",
                         Origin(agency=agency, channel=Record.Channel.UPLOAD, ingested_by=person)).record
    assert record.officer == person
    assert record.recorded_start == timezone.make_aware(dt.datetime(2026, 11, 21, 10, 15))
