"""Per-file clock trust: every time source a file carries (name, MP4/MOV, WAV BWF and LIST/INFO, AVI IDIT, EXIF with
its offset, the docking skew) is compared; a disagreement is a finding on the clip with both values; the recording
time follows the documented rule (evidence.timesources) and compliance uses it corrected by the docking skew."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from authz.roles import Role
from compliance import services as compliance
from compliance.labels import describe
from compliance.models import Finding
from evidence.ingest import Origin, ingest_file
from evidence.models import Record
from evidence.queries import worklist
from evidence.services import report_docking
from evidence.synthetic import make_photo, make_video, make_wav
from tests.conftest import login
from tests.factories import ActivityFactory, AgencyFactory, DeviceFactory, UserFactory, officer

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NAMED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)  # what the file names below say, local time
THREE_HOURS = 10800


@pytest.fixture
def setting(builtin_name_patterns):
    agency = AgencyFactory()
    person = officer(agency, staff_number="410001")
    camera = DeviceFactory(agency=agency, serial="DSJ00042")
    origin = Origin(agency=agency, channel=Record.Channel.DUMP, officer=person, device=camera)
    return agency, person, camera, origin


def sources(record: Record) -> dict[str, str]:
    return {item["source"]: item["time"] for item in record.time_sources}


def test_000_2_7_an_mp4_creation_time_three_hours_off_its_name_is_a_finding_with_both_values(setting, tmp_path,
                                                                                            client):
    agency, person, _camera, origin = setting
    activity = ActivityFactory(agency=agency, stage="on_site_enforcement", category="inspection",
                               planned_start=NAMED, planned_end=NAMED + dt.timedelta(minutes=30), officers=[person])
    clip = make_video(tmp_path / "DSJ00042_410001_20261102090000_0005.mp4", seconds=2,
                      created=NAMED + dt.timedelta(hours=3))
    record = ingest_file(clip, clip.name, origin).record
    assert record.recorded_start == NAMED and record.recorded_time_source == "file_name"
    assert record.time_conflict_seconds == THREE_HOURS - 2  # the container may stamp the end: measured from it
    assert set(sources(record)) == {"file_name", "container"}
    assert record.activity == activity  # linked by the chosen (name) time
    finding = Finding.objects.get(activity=activity, rule="clock_sources_disagree", closed_at=None)
    assert finding.record_id == record.pk and finding.cites == "000/2/7"
    with translation.override("zh-hans"):
        text = describe(finding)
    assert "2026-11-02 09:00:00" in text and "2026-11-02 12:00:00" in text and "文件名" in text
    archivist = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))
    assert worklist(archivist, "clock").filter(pk=record.pk).exists()
    page = login(client, archivist).get(f"/evidence/{record.pk}/").content.decode()
    assert "时间不一致" in page and "2026-11-02 12:00:00" in page and "视频文件内嵌的创建时间" in page


def test_an_mp4_time_that_is_local_time_written_as_utc_agrees(setting, tmp_path):
    *_, origin = setting
    wall_as_utc = NAMED.replace(tzinfo=dt.UTC)  # firmware wrote 09:00 local as 09:00Z
    clip = make_video(tmp_path / "DSJ00042_410001_20261102090000_0006.mp4", seconds=2, created=wall_as_utc)
    record = ingest_file(clip, clip.name, origin).record
    assert record.time_conflict_seconds is None
    container = next(item for item in record.time_sources if item["source"] == "container")
    assert container["local_as_utc"] and dt.datetime.fromisoformat(container["time"]) == NAMED


def test_a_wav_bext_time_off_its_audio_name_disagrees_and_a_day_only_icrd_of_the_same_day_agrees(setting, tmp_path):
    *_, origin = setting
    audio = make_wav(tmp_path / "DSJ00042_410001_A_20261102090000_0007.wav",
                     origination=dt.datetime(2026, 11, 2, 12, 0), creation_date="2026-11-02")
    record = ingest_file(audio, audio.name, origin).record
    assert record.kind == "audio" and record.device.serial == "DSJ00042" and record.officer.staff_number == "410001"
    assert record.recorded_start == NAMED
    assert set(sources(record)) == {"file_name", "bext", "icrd"}
    assert record.time_conflict_seconds == THREE_HOURS - 2
    agreeing = make_wav(tmp_path / "DSJ00042_410001_A_20261102090000_0008.wav", seconds=1,
                        origination=dt.datetime(2026, 11, 2, 9, 0, 20), creation_date="2026-11-02")
    assert ingest_file(agreeing, agreeing.name, origin).record.time_conflict_seconds is None
    other_day = make_wav(tmp_path / "DSJ00042_410001_A_20261102090000_0009.wav", seconds=1.5,
                         creation_date="2026-11-01")
    assert ingest_file(other_day, other_day.name, origin).record.time_conflict_seconds == 86400


def test_an_avi_idit_time_off_its_name_disagrees(setting, tmp_path):
    *_, origin = setting
    avi = make_video(tmp_path / "DSJ00042_410001_20261102090000_0010.avi", codec="mjpeg", seconds=2,
                     idit="MON NOV 02 12:00:00 2026")
    record = ingest_file(avi, avi.name, origin).record
    assert record.kind == "av" and set(sources(record)) == {"file_name", "idit"}
    assert record.time_conflict_seconds == THREE_HOURS - 2
    fine = make_video(tmp_path / "DSJ00042_410001_20261102090000_0011.avi", codec="mjpeg", seconds=1, fps=8,
                      idit="MON NOV 02 09:00:01 2026")
    assert ingest_file(fine, fine.name, origin).record.time_conflict_seconds is None


def test_a_photo_exif_time_is_read_with_its_offset(setting, tmp_path):
    *_, origin = setting
    # 06:00 at UTC+5 is 09:00 in Shanghai: the same instant as the name.
    same = make_photo(tmp_path / "DSJ00042_410001_P_20261102090000_0012.jpg", taken=dt.datetime(2026, 11, 2, 6, 0),
                      offset="+05:00")
    record = ingest_file(same, same.name, origin).record
    assert record.kind == "photo" and record.officer.staff_number == "410001"
    assert record.time_conflict_seconds is None
    # 09:00 at UTC+5 is 12:00 in Shanghai: three hours off.
    off = make_photo(tmp_path / "DSJ00042_410001_P_20261102090000_0013.jpg", taken=dt.datetime(2026, 11, 2, 9, 0),
                     offset="+05:00", size=(65, 48))
    assert ingest_file(off, off.name, origin).record.time_conflict_seconds == THREE_HOURS
    # Without a name, the EXIF time is the recording time.
    unnamed = make_photo(tmp_path / "现场照片.jpg", taken=dt.datetime(2026, 11, 2, 9, 30), offset="+08:00",
                         size=(66, 48))
    record = ingest_file(unnamed, unnamed.name, origin).record
    assert record.recorded_time_source == "exif" and record.recorded_start == NAMED + dt.timedelta(minutes=30)


def test_builtin_patterns_read_the_photo_and_audio_names_of_the_same_camera(setting, tmp_path):
    *_, origin = setting
    origin.device = None
    for name, maker in (("DSJ00042_410001_P_20261102090000_0014.jpg", make_photo),
                        ("DSJ00042_410001_A_20261102090000_0015.wav", make_wav),
                        ("DSJ00042_410001_20261102090000_P_0016.jpg", make_photo)):
        path = maker(tmp_path / name, **({"size": (60 + len(name) % 7, 40)} if maker is make_photo else {}))
        record = ingest_file(path, path.name, origin).record
        assert record.device.serial == "DSJ00042" and record.officer.staff_number == "410001", name
        assert record.recorded_start == NAMED and record.recorded_time_source == "file_name", name


def test_000_2_7_compliance_judges_coverage_on_times_corrected_by_the_docking_skew(setting, tmp_path):
    """The camera ran an hour fast: its clip named 10:00–12:00 covers the activity 09:00–11:00."""
    agency, person, camera, origin = setting
    activity = ActivityFactory(agency=agency, stage="on_site_enforcement", category="inspection",
                               planned_start=NAMED, planned_end=NAMED + dt.timedelta(hours=2), officers=[person])
    now = timezone.now()
    report_docking(camera, device_time=now + dt.timedelta(hours=1), reference_time=now)
    clip = make_video(tmp_path / "20261102100000_20261102120000_DSJ00042_410001.mp4", seconds=1)
    record = ingest_file(clip, clip.name, origin).record
    assert record.recorded_start == NAMED + dt.timedelta(hours=1) and record.clock_skew_seconds == 3600
    assert record.activity == activity
    photo = make_photo(tmp_path / "DSJ00042_410001_P_20261102103000_0017.jpg")
    ingest_file(photo, photo.name, origin)
    compliance.refresh([activity.pk])
    rules = set(Finding.objects.filter(activity=activity, closed_at=None).values_list("rule", flat=True))
    assert not rules & {"not_recorded", "start_not_covered", "end_not_covered", "gap", "key_photos_missing"}
    assert "clock_off" in rules  # the hour itself is still a finding (000/2/7)
