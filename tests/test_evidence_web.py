"""Evidence through the web: resumable uploads, the station API, playback over Range with a view on record."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io

import pytest
from django.urls import reverse

from authz.roles import Role
from evidence import derivatives, uploads
from evidence.models import Derivative, Record, UploadSession
from evidence.probe import probe
from evidence.services import create_station
from evidence.synthetic import make_video
from ledger.models import Event
from tests.conftest import login
from tests.factories import DeviceFactory, UserFactory, officer

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


@pytest.fixture
def content(tmp_path) -> bytes:
    return make_video(tmp_path / "v.mp4", seconds=2).read_bytes()


def create(client, length: int, **meta: str):
    return client.post("/evidence/tus/", HTTP_UPLOAD_LENGTH=str(length), HTTP_UPLOAD_METADATA=metadata(**meta), **TUS)


def patch(client, location: str, offset: int, body: bytes):
    return client.generic("PATCH", location, body, content_type="application/offset+octet-stream",
                          HTTP_UPLOAD_OFFSET=str(offset), **TUS)


def test_tus_upload_in_two_parts_resumes_and_is_filed(client, an_officer, content, settings,
                                                      django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    login(client, an_officer)
    options = client.options("/evidence/tus/")
    assert options["Tus-Version"] == "1.0.0" and "creation" in options["Tus-Extension"]
    created = create(client, len(content), filename="现场检查.mp4", filetype="video/mp4", party="某公司")
    assert created.status_code == 201
    location = created["Location"]
    half = len(content) // 2
    assert patch(client, location, 0, content[:half])["Upload-Offset"] == str(half)
    assert client.head(location, **TUS)["Upload-Offset"] == str(half)
    assert patch(client, location, 0, content[half:]).status_code == 409  # wrong offset: resume from the server's
    with django_capture_on_commit_callbacks(execute=True):
        done = patch(client, location, half, content[half:])
    assert done.status_code == 204
    session = UploadSession.objects.get()
    assert session.state == UploadSession.State.FILED
    record = session.record
    assert record.original_name == "现场检查.mp4" and record.party == "某公司"
    assert record.blob.sha256 == hashlib.sha256(content).hexdigest()
    assert not uploads.part_path(session).exists()


def test_an_upload_cut_off_half_way_keeps_what_arrived_and_resumes(an_officer, content):
    session = uploads.create_session(an_officer, len(content), {"filename": "a.mp4"})

    class CutOff(io.BytesIO):
        def read(self, size=-1):
            if self.tell() >= 1000:
                raise OSError("connection reset by peer")
            return super().read(min(size, 1000 - self.tell()))

    uploads.append(session, 0, CutOff(content), len(content))
    session.refresh_from_db()
    assert session.offset == 1000 and session.state == UploadSession.State.RECEIVING
    uploads.append(session, 1000, io.BytesIO(content[1000:]), len(content) - 1000)
    session.refresh_from_db()
    assert session.state == UploadSession.State.RECEIVED
    assert uploads.part_path(session).read_bytes() == content


@pytest.mark.parametrize(("meta", "length", "status"), [
    ({"filename": "virus.exe"}, 10, 415),
    ({"filename": "empty.mp4"}, 0, 400),
    ({}, 10, 400),
])
def test_tus_refuses_bad_uploads_before_any_byte(client, an_officer, meta, length, status):
    login(client, an_officer)
    response = create(client, length, **meta)
    assert response.status_code == status
    assert response.content.decode()  # a message the browser shows
    assert not UploadSession.objects.exists()


def test_a_refused_upload_keeps_its_reason_for_the_sender(client, an_officer, settings,
                                                         django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    login(client, an_officer)
    body = b"hello"
    location = create(client, len(body), filename="a.mp4", sha256="0" * 64)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        patch(client, location, 0, body)
    session = UploadSession.objects.get()
    assert session.state == UploadSession.State.REFUSED and "SHA256" in session.message
    page = client.get("/evidence/upload/status/").content.decode()
    assert "SHA256" in page


def test_administrators_cannot_upload(client, agency):
    admin = UserFactory(agency=agency, roles=(Role.SYSTEM_ADMIN,))
    login(client, admin)
    assert create(client, 10, filename="a.mp4").status_code == 403
    assert Event.objects.filter(verb="record.upload", result="denied").exists()


# --- the station API -------------------------------------------------------------------------------------


@pytest.fixture
def station(agency):
    return create_station(agency, name="一号采集站")


def test_station_api_files_a_dump_idempotently(client, agency, station, content):
    _, token = station
    DeviceFactory(agency=agency, serial="DSJ7")
    officer(agency, staff_number="4101")
    payload = {"device": "DSJ7", "officer": "4101", "path": ["DCIM/100/a.mp4", "DCIM/b.txt"],
               "file": [io.BytesIO(content), io.BytesIO(b"log")]}
    payload["file"][0].name, payload["file"][1].name = "a.mp4", "b.txt"
    response = client.post("/api/v1/station/dumps/", payload, HTTP_AUTHORIZATION=f"Station {token}")
    assert response.status_code == 200, response.content
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["filed", "skipped"]
    record = Record.objects.get()
    assert record.channel == "station" and record.source_path == "DCIM/100/a.mp4"
    again = io.BytesIO(content)
    again.name = "a.mp4"
    second = client.post("/api/v1/station/dumps/", {"device": "DSJ7", "officer": "4101", "file": [again]},
                         HTTP_AUTHORIZATION=f"Station {token}")
    assert second.json()["results"][0]["status"] == "duplicate"
    assert Record.objects.count() == 1


def test_station_api_refuses_a_wrong_hash_and_unknown_tokens(client, agency, station, content):
    _, token = station
    DeviceFactory(agency=agency, serial="DSJ7")
    officer(agency, staff_number="4101")
    upload = io.BytesIO(content)
    upload.name = "a.mp4"
    response = client.post("/api/v1/station/dumps/", {"device": "DSJ7", "officer": "4101", "file": [upload],
                                                      "sha256": ["1" * 64]}, HTTP_AUTHORIZATION=f"Station {token}")
    assert response.status_code == 207
    assert response.json()["results"][0]["status"] == "refused"
    assert not Record.objects.exists()
    assert client.post("/api/v1/station/dumps/", {}, HTTP_AUTHORIZATION="Station nope").status_code in (401, 403)
    assert client.post("/api/v1/station/dumps/", {}).status_code in (401, 403)


def test_station_reports_the_device_clock_at_docking(client, agency, station):
    _, token = station
    device = DeviceFactory(agency=agency, serial="DSJ7")
    fast = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=125)).isoformat()
    response = client.post("/api/v1/station/docking/", {"device": "DSJ7", "device_time": fast},
                           HTTP_AUTHORIZATION=f"Station {token}", content_type="application/json")
    assert response.status_code == 200
    assert 123 <= response.json()["skew_seconds"] <= 126
    assert device.docking_reports.count() == 1


def test_the_api_schema_is_published(client, an_officer):
    login(client, an_officer)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/station/dumps/" in schema.content


# --- viewing ---------------------------------------------------------------------------------------------


@pytest.fixture
def filed(an_officer, agency, tmp_path):
    from evidence.ingest import Origin, ingest_file

    path = make_video(tmp_path / "clip.mp4", seconds=3)
    origin = Origin(agency=agency, channel="upload", ingested_by=an_officer, officer=an_officer)
    return ingest_file(path, "clip.mp4", origin).record, path.read_bytes()


def test_starting_a_view_is_recorded_and_the_stream_serves_ranges(client, an_officer, filed):
    record, original = filed
    derivatives.make_all(record)
    proxy = record.derivatives.get(kind=Derivative.Kind.PROXY)
    with derivatives.local_path(proxy.blob) as path:
        content = path.read_bytes()
    assert content != original  # what is streamed is the playback copy, never the original (000/1/4)
    login(client, an_officer)
    page = client.get(f"/evidence/{record.pk}/play/")
    assert page.status_code == 200
    view = Event.objects.get(verb="record.view", object_id=str(record.pk))
    assert view.actor == an_officer
    html = page.content.decode()
    assert "nodownload" in html and "watermark" in html and an_officer.full_name in html
    src = reverse("record_stream", args=[record.pk, page.context["token"]])
    whole = client.get(src)
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == content
    part = client.get(src, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(content)}"
    assert b"".join(part.streaming_content) == content[100:200]
    tail = client.get(src, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == content[-10:]
    assert client.get(src, HTTP_RANGE=f"bytes={len(content)}-").status_code == 416


def test_the_stream_needs_the_viewers_own_token(client, an_officer, agency, filed):
    record, _ = filed
    login(client, an_officer)
    token = client.get(f"/evidence/{record.pk}/play/").context["token"]
    client.logout()
    colleague = officer(agency)
    login(client, colleague)
    assert client.get(reverse("record_stream", args=[record.pk, token])).status_code == 403
    assert client.get(reverse("record_stream", args=[record.pk, "forged"])).status_code == 403
    assert Event.objects.filter(verb="record.stream", result="denied").count() == 2


def test_records_of_another_agency_and_administrators_see_nothing(client, other_agency, agency, filed):
    record, _ = filed
    # Another agency's officer does not learn the record exists; an administrator holds no evidence capability.
    for user, status in ((officer(other_agency), 404), (UserFactory(agency=agency, roles=(Role.SYSTEM_ADMIN,)), 403)):
        login(client, user)
        assert client.get(f"/evidence/{record.pk}/").status_code == status
        assert client.get(f"/evidence/{record.pk}/play/").status_code == status
        assert record.original_name not in client.get("/evidence/").content.decode()


def test_record_pages_list_search_and_show_hashes(client, an_officer, filed):
    record, _ = filed
    login(client, an_officer)
    listing = client.get("/evidence/", {"q": record.blob.sha256[:12]}).content.decode()
    assert "clip.mp4" in listing
    assert "clip.mp4" not in client.get("/evidence/", {"q": "没有这个"}).content.decode()
    detail = client.get(f"/evidence/{record.pk}/").content.decode()
    assert record.blob.sha256 in detail and record.blob.sm3 in detail and "SM3" in detail
    assert "clip.mp4" in client.get("/evidence/", {"worklist": "unlinked"}).content.decode()


def test_classification_form_completes_a_record(client, an_officer, filed):
    record, _ = filed
    login(client, an_officer)
    response = client.post(f"/evidence/{record.pk}/classify/", {"party": "某建材公司", "usage": "patrol",
                                                                "recorded_start": "2026-11-20T09:00:00",
                                                                "recorded_end": "2026-11-20T08:00:00"})
    assert response.status_code == 200  # end before start: refused, nothing saved
    record.refresh_from_db()
    assert record.party == ""
    client.post(f"/evidence/{record.pk}/classify/", {"party": "某建材公司", "usage": "patrol"})
    record.refresh_from_db()
    assert record.party == "某建材公司" and record.usage == "patrol"


# --- derivatives -----------------------------------------------------------------------------------------


def test_000_1_4_even_a_clip_browsers_could_play_gets_its_own_playback_copy(filed):
    """Viewing is not copying: the browser is given a copy made for it, never the original's bytes."""
    record, original = filed
    made = derivatives.make_all(record)
    assert set(made) == {"thumbnail", "strip", "proxy"}
    assert record.derivatives.get(kind="proxy").blob.sha256 != hashlib.sha256(original).hexdigest()
    for item in record.derivatives.all():
        assert item.source_sha256 == record.blob.sha256


def test_formats_browsers_cannot_play_get_an_h264_proxy(an_officer, agency, tmp_path):
    from evidence.ingest import Origin, ingest_file

    path = make_video(tmp_path / "old.avi", seconds=2, codec="mjpeg")
    record = ingest_file(path, "old.avi", Origin(agency=agency, channel="upload", ingested_by=an_officer)).record
    derivatives.make_all(record)
    proxy = record.derivatives.get(kind=Derivative.Kind.PROXY)
    assert proxy.source_sha256 == record.blob.sha256
    with derivatives.local_path(proxy.blob) as copy:
        checked = probe(copy, "av")
    assert checked.info["video_codec"] == "h264" and checked.browser_ready()
    assert record.blob.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # the original is untouched


# --- intake settings (system administrator) -------------------------------------------------------------


def test_system_administrator_registers_a_station_sees_its_token_once_and_disables_it(client, agency):
    from evidence.models import Station
    from evidence.services import station_for_token

    admin = UserFactory(agency=agency, roles=(Role.SYSTEM_ADMIN,))
    login(client, admin)
    page = client.post("/settings/intake/", {"action": "add_station", "station-name": "三号采集站"})
    token = page.context["new_token"]
    assert token and token in page.content.decode()
    station = Station.objects.get(name="三号采集站")
    assert station_for_token(token) == station
    assert token not in client.get("/settings/intake/").content.decode()
    client.post("/settings/intake/", {"action": "disable_station", "station": station.pk})
    assert station_for_token(token) is None


def test_a_bad_file_name_pattern_is_refused_with_the_reason(client, agency):
    from evidence.models import FilenamePattern

    admin = UserFactory(agency=agency, roles=(Role.SYSTEM_ADMIN,))
    login(client, admin)
    before = FilenamePattern.objects.count()
    page = client.post("/settings/intake/", {"action": "add_pattern", "pattern-brand": "某品牌", "pattern-model": "",
                                              "pattern-regex": "(?P<start>\\d{14}", "pattern-time_format": "%Y"})
    assert page.status_code == 200 and "正则" in page.content.decode()
    assert FilenamePattern.objects.count() == before
    client.post("/settings/intake/", {"action": "add_pattern", "pattern-brand": "某品牌", "pattern-model": "",
                                      "pattern-regex": "(?P<start>\\d{14})", "pattern-time_format": "%Y%m%d%H%M%S"})
    assert FilenamePattern.objects.count() == before + 1


def test_only_the_system_administrator_configures_intake(client, an_officer):
    login(client, an_officer)
    assert client.get("/settings/intake/").status_code == 403
    assert Event.objects.filter(verb="settings.view", result="denied").exists()
