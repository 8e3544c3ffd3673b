"""Only decodable media is a recording: what a file is comes from its content; a file nothing decodes is kept byte for
byte, quarantined as an unreadable file with a Chinese reason, kept out of coverage, listed for the archivist and
reported as such on every channel (station API, tus, the upload page, ``ingest_dump``)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from authz.roles import Role
from compliance import services as compliance
from compliance.models import Finding
from evidence import uploads
from evidence.derivatives import stored_object
from evidence.ingest import Origin, ingest_file
from evidence.models import Record, UnreadableReason, UploadSession
from evidence.queries import worklist
from evidence.services import create_station
from evidence.store import store_named
from evidence.synthetic import make_pdf, make_photo, make_video, make_wav
from tests.conftest import login
from tests.factories import ActivityFactory, DeviceFactory, UserFactory, officer

TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
END = START + dt.timedelta(hours=2)
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def truncated_mp4(path: Path) -> Path:
    """A camera clip cut off before its index (moov) was written: the usual result of a power loss."""
    whole = make_video(path.with_name("whole-" + path.name), seconds=3, created=START.astimezone(dt.UTC))
    data = whole.read_bytes()
    path.write_bytes(data[: data.index(b"moov") - 4])
    return path


def open_rules(activity) -> set[str]:
    return set(Finding.objects.filter(activity=activity, closed_at=None).values_list("rule", flat=True))


@pytest.fixture
def person(agency):
    return officer(agency, staff_number="410001")


@pytest.fixture
def upload_origin(agency, person):
    return Origin(agency=agency, channel=Record.Channel.UPLOAD, ingested_by=person, officer=person)


def test_a_truncated_mp4_is_kept_byte_exact_as_an_unreadable_file_with_a_chinese_reason(upload_origin, tmp_path,
                                                                                       client):
    cut = truncated_mp4(tmp_path / "DSJ1_410001_20261102090000_0001.MP4")
    outcome = ingest_file(cut, cut.name, upload_origin)
    record = outcome.record
    assert outcome.created and outcome.status == "quarantined"
    assert record.kind == "unreadable" and not record.playable
    assert record.unreadable_reason == UnreadableReason.INDEX_MISSING
    assert record.link_state == Record.LinkState.NOT_APPLICABLE and record.activity is None
    assert store_named("local").path(stored_object(record.blob)).read_bytes() == cut.read_bytes()
    with translation.override("zh-hans"):
        assert "无法读取" in outcome.message and "moov" in outcome.message
    archivist = UserFactory(agency=upload_origin.agency, roles=(Role.ARCHIVIST,))
    assert worklist(archivist, "unplayable").filter(pk=record.pk).exists()
    page = login(client, archivist).get(f"/evidence/{record.pk}/").content.decode()
    assert "无法读取的文件" in page and "索引" in page
    assert "Invalid data" not in page and "Errno" not in page and str(tmp_path) not in page
    listing = client.get("/evidence/?worklist=unplayable").content.decode()
    assert cut.name in listing


@pytest.mark.parametrize(("cut_at", "reason"), [
    (0.5, UnreadableReason.TRUNCATED),  # index first (faststart), pictures cut off half-way
])
def test_an_mp4_whose_data_ends_before_its_index_says_is_truncated(upload_origin, tmp_path, cut_at, reason):
    whole = make_video(tmp_path / "fast.mp4", seconds=4, faststart=True)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * cut_at)])
    record = ingest_file(cut, cut.name, upload_origin).record
    assert record.kind == "unreadable" and record.unreadable_reason == reason


def test_a_pdf_renamed_mp4_is_a_document_through_the_browser_and_unreadable_from_a_camera(upload_origin, agency,
                                                                                        person, tmp_path):
    pdf = make_pdf(tmp_path / "现场笔录.MP4")
    uploaded = ingest_file(pdf, pdf.name, upload_origin).record
    assert uploaded.kind == "document" and uploaded.media["container"] == "pdf"
    assert uploaded.link_state == Record.LinkState.NOT_APPLICABLE
    docked = Origin(agency=agency, channel=Record.Channel.DUMP, officer=person, device=DeviceFactory(agency=agency))
    other = make_pdf(tmp_path / "另一份.MP4", pages=2)
    camera = ingest_file(other, other.name, docked)
    assert camera.status == "quarantined" and camera.record.unreadable_reason == UnreadableReason.DOCUMENT


def test_content_not_the_extension_decides_the_kind(upload_origin, tmp_path):
    video_as_photo = make_video(tmp_path / "clip.mp4", seconds=1)
    renamed = tmp_path / "IMG_0001.JPG"
    renamed.write_bytes(video_as_photo.read_bytes())
    assert ingest_file(renamed, renamed.name, upload_origin).record.kind == "av"
    photo_as_video = tmp_path / "VID_0002.MP4"
    photo_as_video.write_bytes(make_photo(tmp_path / "p.jpg").read_bytes())
    assert ingest_file(photo_as_video, photo_as_video.name, upload_origin).record.kind == "photo"
    audio = make_wav(tmp_path / "REC_0003.wav")
    assert ingest_file(audio, audio.name, upload_origin).record.kind == "audio"
    avi = make_video(tmp_path / "MJPEG_0004.AVI", codec="mjpeg", seconds=2)
    record = ingest_file(avi, avi.name, upload_origin).record
    assert record.kind == "av" and record.media["video_codec"] == "mjpeg"
    junk = tmp_path / "garbage.mp4"
    junk.write_bytes(bytes(range(256)) * 400)
    assert ingest_file(junk, junk.name, upload_origin).record.unreadable_reason == UnreadableReason.NOT_MEDIA
    cut_photo = tmp_path / "cut.jpg"
    cut_photo.write_bytes(make_photo(tmp_path / "big.jpg", size=(640, 480)).read_bytes()[:2500])
    assert ingest_file(cut_photo, cut_photo.name, upload_origin).record.unreadable_reason == \
        UnreadableReason.TRUNCATED


def test_unreadable_files_never_count_as_recording_coverage(agency, person, tmp_path):
    """000/2/8: an activity with only a truncated clip and a PDF linked keeps its 'not recorded' finding."""
    activity = ActivityFactory(agency=agency, stage="on_site_enforcement", category="inspection",
                               planned_start=START, planned_end=END, officers=[person])
    origin = Origin(agency=agency, channel=Record.Channel.UPLOAD, ingested_by=person, officer=person,
                    activity=activity)
    compliance.refresh([activity.pk])
    assert "not_recorded" in open_rules(activity)
    cut = truncated_mp4(tmp_path / "cut.mp4")
    ingest_file(cut, cut.name, origin)
    pdf = make_pdf(tmp_path / "a.MP4")
    ingest_file(pdf, pdf.name, origin)
    assert Record.objects.filter(activity=activity).count() == 2  # linked by the sender, kept for context
    assert "not_recorded" in open_rules(activity)
    good = make_video(tmp_path / "good.mp4", seconds=2, created=START.astimezone(dt.UTC))
    ingest_file(good, good.name, origin)
    assert "not_recorded" not in open_rules(activity)


def test_the_station_api_reports_a_quarantined_file_with_its_reason(client, agency, person, tmp_path):
    _station, token = create_station(agency, name="一号采集站")
    DeviceFactory(agency=agency, serial="DSJ1")
    cut = truncated_mp4(tmp_path / "cut.mp4").read_bytes()
    good = make_video(tmp_path / "good.mp4", seconds=1).read_bytes()
    files = [io.BytesIO(cut), io.BytesIO(good)]
    files[0].name, files[1].name = "DSJ1_410001_20261102090000_0001.mp4", "DSJ1_410001_20261102091000_0002.mp4"
    response = client.post("/api/v1/station/dumps/", {"device": "DSJ1", "officer": "410001", "file": files},
                           HTTP_AUTHORIZATION=f"Station {token}")
    assert response.status_code == 207
    first, second = response.json()["results"]
    assert first["status"] == "quarantined" and "无法读取" in first["message"] and first["record_id"]
    assert second["status"] == "filed"
    assert Record.objects.get(pk=first["record_id"]).kind == "unreadable"


def test_the_tus_upload_and_its_page_report_a_quarantined_file(client, person, settings, tmp_path,
                                                                django_capture_on_commit_callbacks):
    import base64

    settings.TASKS = IMMEDIATE
    login(client, person)
    body = truncated_mp4(tmp_path / "cut.mp4").read_bytes()
    meta = f"filename {base64.b64encode('现场检查.mp4'.encode()).decode()}"
    created = client.post("/evidence/tus/", HTTP_UPLOAD_LENGTH=str(len(body)), HTTP_UPLOAD_METADATA=meta,
                          HTTP_TUS_RESUMABLE="1.0.0")
    location = created["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.generic("PATCH", location, body, content_type="application/offset+octet-stream",
                       HTTP_UPLOAD_OFFSET="0", HTTP_TUS_RESUMABLE="1.0.0")
    session = UploadSession.objects.get()
    assert session.state == UploadSession.State.QUARANTINED
    answer = client.get(location, HTTP_TUS_RESUMABLE="1.0.0").json()
    assert answer["state"] == "quarantined" and answer["state_label"] == "已保存，但无法读取"
    assert "无法读取" in answer["message"] and answer["record"] == session.record_id
    page = client.get("/evidence/upload/status/").content.decode()
    assert "已保存，但无法读取" in page and "无法读取的文件" in page
    assert not uploads.part_path(session).exists()


def test_ingest_dump_says_which_files_are_unreadable_and_exits_3(agency, person, tmp_path):
    DeviceFactory(agency=agency, serial="DSJ00042")
    root = tmp_path / "DCIM"
    root.mkdir()
    make_video(root / "DSJ00042_410001_20261102090000_0001.mp4", seconds=1)
    truncated_mp4(root / "DSJ00042_410001_20261102091000_0002.mp4")
    make_pdf(root / "DSJ00042_410001_20261102092000_0003.MP4")
    (root / "whole-DSJ00042_410001_20261102091000_0002.mp4").unlink()
    out = io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError) as failed:
        call_command("ingest_dump", str(root), "--device", "DSJ00042", "--officer", "410001", stdout=out)
    assert failed.value.returncode == 3
    text = out.getvalue()
    lines = [line for line in text.splitlines() if line.startswith("[")]
    assert sum("无法读取，已隔离" in line for line in lines) == 2 and "索引" in text and "文档" in text
    assert "已归档 1" in text and "无法读取，已隔离 2" in text
    with translation.override("zh-hans"), pytest.raises(CommandError) as again:
        call_command("ingest_dump", str(root), "--device", "DSJ00042", "--officer", "410001", stdout=io.StringIO())
    assert again.value.returncode == 3 and Record.objects.count() == 3


def test_a_cut_off_photo_is_unreadable_even_where_the_image_library_was_told_to_accept_cut_off_images(
        upload_origin, tmp_path, monkeypatch):
    """WeasyPrint sets PIL's LOAD_TRUNCATED_IMAGES for the whole process once a PDF has been made."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    whole = make_photo(tmp_path / "whole.jpg", size=(640, 480), taken=START.replace(tzinfo=None))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[:-200])
    assert ingest_file(cut, cut.name, upload_origin).record.unreadable_reason == UnreadableReason.TRUNCATED
    from PIL import Image

    png = tmp_path / "scan.png"
    Image.new("RGB", (300, 200), (9, 9, 9)).save(png)
    cut_png = tmp_path / "cut.png"
    cut_png.write_bytes(png.read_bytes()[:-20])
    assert ingest_file(cut_png, cut_png.name, upload_origin).record.unreadable_reason == UnreadableReason.TRUNCATED
    assert ingest_file(whole, whole.name, upload_origin).record.kind == "photo"
