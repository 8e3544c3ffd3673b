"""Names: a NUL, a control character or a bidi override is refused on every channel with a correct Chinese message
and an error status; a name already stored with one is shown written out wherever it is displayed."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from authz.roles import Role
from evidence.models import Record, UploadSession
from evidence.naming import BadName, check_name, escaped
from evidence.services import create_station
from evidence.synthetic import make_video
from ledger.models import Event
from tests.conftest import login
from tests.factories import DeviceFactory, RecordFactory, UserFactory, officer

NUL_NAME = "clip.exe\x00.mp4"
RLO_NAME = "report\u202egpj.exe.mp4"  # shows as "reportmp4.exe.jpg"


@pytest.mark.parametrize(("name", "words"), [
    (NUL_NAME, "空字符（NUL）"), (RLO_NAME, "文字方向控制字符（U+202E）"), ("a\tb.mp4", "控制字符（U+0009）"),
    ("a\u2066b.mp4", "文字方向控制字符（U+2066）"), ("a\u200bb.mp4", "控制字符（U+200B）"),
])
def test_the_refusal_names_the_character_in_chinese(name, words):
    with translation.override("zh-hans"), pytest.raises(BadName) as refused:
        check_name(name)
    assert words in str(refused.value) and "不予接收" in str(refused.value)
    assert "\x00" not in str(refused.value) and "\u202e" not in str(refused.value)  # shown written out


def test_chinese_names_and_joiners_pass():
    check_name("现场检查（一）👨\u200d👩.mp4")
    assert escaped("a\u202eb") == "a\\u202eb"


@pytest.mark.parametrize(("name", "words"), [(NUL_NAME, "空字符"), (RLO_NAME, "文字方向控制字符")])
def test_tus_refuses_the_name_with_400_and_creates_nothing(client, agency, name, words):
    person = officer(agency)
    login(client, person)
    meta = f"filename {base64.b64encode(name.encode()).decode()}"
    response = client.post("/evidence/tus/", HTTP_UPLOAD_LENGTH="10", HTTP_UPLOAD_METADATA=meta,
                           HTTP_TUS_RESUMABLE="1.0.0")
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not UploadSession.objects.exists()
    assert Event.objects.filter(verb="record.upload", result="denied", detail__reason="bad_name").exists()


@pytest.fixture
def station(agency):
    DeviceFactory(agency=agency, serial="DSJ7")
    officer(agency, staff_number="4101")
    return create_station(agency, name="一号采集站")[1]


@pytest.fixture
def clip_bytes(tmp_path) -> bytes:
    return make_video(tmp_path / "v.mp4", seconds=1).read_bytes()


@pytest.mark.parametrize("name", [NUL_NAME, RLO_NAME])
def test_the_station_api_refuses_a_file_name_django_would_quietly_strip(client, station, clip_bytes, name):
    upload = io.BytesIO(clip_bytes)
    upload.name = name
    response = client.post("/api/v1/station/dumps/", {"device": "DSJ7", "officer": "4101", "file": [upload]},
                           HTTP_AUTHORIZATION=f"Station {station}")
    assert response.status_code == 400, response.content
    message = response.json()["file"][0]
    assert ("空字符" in message) if "\x00" in name else ("文字方向控制字符" in message)
    assert not Record.objects.exists()
    assert Event.objects.filter(verb="record.ingest", result="denied", detail__reason="bad_name").exists()


@pytest.mark.parametrize(("path", "words"), [
    ("DCIM/\u202e4pm/clip.mp4", "文字方向控制字符"),
    ("DCIM/clip.mp4\n", "控制字符"),
    ("DCIM/clip\x00.mp4", "不允许包含空字符（NUL）"),  # Django's own message, correctly translated at last
])
def test_the_station_api_refuses_a_path_with_such_a_character(client, station, clip_bytes, path, words):
    upload = io.BytesIO(clip_bytes)
    upload.name = "clip.mp4"
    response = client.post("/api/v1/station/dumps/", {"device": "DSJ7", "officer": "4101", "file": [upload],
                                                      "path": [path]}, HTTP_AUTHORIZATION=f"Station {station}")
    assert response.status_code == 400
    assert words in str(response.json()["path"])
    assert "不允许是用空字符串" not in response.content.decode()
    assert not Record.objects.exists()


def test_ingest_dump_refuses_such_names_in_files_and_folders_exits_2_and_prints_them_written_out(agency, tmp_path):
    DeviceFactory(agency=agency, serial="DSJ00042")
    officer(agency, staff_number="410001")
    root = tmp_path / "DCIM"
    (root / "100\u202eMEDIA").mkdir(parents=True)
    make_video(root / "100\u202eMEDIA" / "a.mp4", seconds=1)
    make_video(root / "evil\u202e4pm.exe.mp4", seconds=1, fps=9)
    make_video(root / "fine.mp4", seconds=1, fps=11)
    out = io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError) as failed:
        call_command("ingest_dump", str(root), "--device", "DSJ00042", "--officer", "410001", stdout=out)
    assert failed.value.returncode == 2
    text = out.getvalue()
    assert "\u202e" not in text and text.count("\\u202e") >= 4  # each path and each message
    assert "已拒绝 2" in text and "已归档 1" in text
    assert list(Record.objects.values_list("original_name", flat=True)) == ["fine.mp4"]


def test_a_stored_name_with_such_characters_is_shown_written_out(client, agency):
    """Behind the application's back (a row written before names were checked): every page escapes it."""
    from django.db import transaction

    from ledger.events import record_event

    record = RecordFactory(agency=agency, original_name="x", source_path="x")
    Record.objects.filter(pk=record.pk).update(original_name="clip\u202egpj.exe", source_path="DCIM/\u202e/clip")
    with transaction.atomic():  # an old event that carried the name as it came
        record_event("record.classify", obj=record, actor_label="站\u202e", after={"party": "某\u202e公司"})
    archivist = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))
    login(client, archivist)
    for url in (f"/evidence/{record.pk}/", "/evidence/"):
        page = client.get(url).content.decode()
        assert "\u202e" not in page, url
        assert "clip\\u202egpj.exe" in page, url
    assert "DCIM/\\u202e/clip" in client.get(f"/evidence/{record.pk}/").content.decode()
