"""Fixity: stored originals are re-hashed on a cycle, throttled, resumable; changes behind the application's back
are found, recorded and raised on the dashboard."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from django.utils import timezone

from authz.roles import Role
from evidence import fixity
from evidence.ingest import Origin, ingest_file
from evidence.models import FixityCheck
from evidence.store import default_store
from evidence.synthetic import make_video
from ledger.models import Event
from tests.conftest import login
from tests.factories import CaseFactory, UserFactory


@pytest.fixture
def records(agency, an_officer, tmp_path):
    made = []
    for index in range(3):
        path = make_video(tmp_path / f"{index}.mp4", seconds=1, fps=8 + index)
        origin = Origin(agency=agency, channel="upload", ingested_by=an_officer, officer=an_officer)
        made.append(ingest_file(path, path.name, origin).record)
    return made


def tamper(record, content: bytes | None) -> None:
    path = default_store().path(fixity.stored_object(record.blob))
    path.chmod(0o644)
    if content is None:
        path.unlink()
    else:
        path.write_bytes(content)


def test_every_original_is_checked_and_each_check_recorded(records):
    report = fixity.sweep(minutes=5)
    assert report.checked == 3 and report.failed == 0
    assert FixityCheck.objects.filter(outcome="intact").count() == 3
    assert Event.objects.filter(verb="fixity.sweep").count() == 1
    assert fixity.sweep(minutes=5).checked == 0  # nothing is due again until its cycle comes round


def test_a_changed_object_is_found_named_and_raised_on_the_dashboard(client, agency, records):
    changed = records[1]
    original = default_store().path(fixity.stored_object(changed.blob)).read_bytes()
    tamper(changed, bytes([original[0] ^ 1]) + original[1:])  # one bit, same size
    fixity.sweep(minutes=5)
    check = FixityCheck.objects.get(outcome="changed")
    assert check.blob == changed.blob and check.sha256_found != changed.blob.sha256
    event = Event.objects.get(verb="fixity.changed")
    assert event.object_id == str(changed.pk) and event.detail["sha256_expected"] == changed.blob.sha256
    archivist = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))
    login(client, archivist)
    page = client.get("/").content.decode()
    assert changed.original_name in page and "固定性告警" in page


def test_a_missing_object_is_found(records):
    tamper(records[0], None)
    fixity.sweep(minutes=5)
    assert FixityCheck.objects.get(outcome="missing").blob == records[0].blob
    assert Event.objects.filter(verb="fixity.missing", object_id=str(records[0].pk)).exists()


def test_a_sweep_resumes_where_the_last_one_stopped(records):
    fixity.check(records[0].blob)  # the run before the restart got this far
    report = fixity.sweep(minutes=5)
    assert report.checked == 2
    assert FixityCheck.objects.filter(blob=records[0].blob).count() == 1


def test_cycle_is_shorter_for_originals_of_open_cases(agency, records):
    records[0].case = CaseFactory(agency=agency, state="open")
    records[0].save()
    fixity.sweep(minutes=5)
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert list(fixity.due()) == [records[0].blob]
    with time_machine.travel(timezone.now() + dt.timedelta(days=91)):
        assert set(fixity.due()) == {r.blob for r in records}


def test_reading_is_throttled_to_the_configured_rate(monkeypatch):
    clock = {"now": 1000.0}
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(fixity.time, "sleep", sleep)
    monkeypatch.setattr(fixity.time, "monotonic", lambda: clock["now"])
    data = os.urandom(3 << 20)
    stream = fixity._Throttled(iter([data[i:i + 65536] for i in range(0, len(data), 65536)]), rate=1 << 20)
    while stream.read(1 << 20):
        pass
    assert sum(slept) == pytest.approx(3, abs=0.5)  # three megabytes at one megabyte per second


# --- 四性检测 (DA/T 70) ----------------------------------------------------------------------------------


def pdf_text_and_fonts(content: bytes) -> tuple[str, list[str]]:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    text = "".join(page.extract_text() for page in reader.pages)
    embedded = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if any(key.startswith("/FontFile") for key in descriptor.get_object()):
                embedded.append(str(font["/BaseFont"]))
    return text, embedded


def test_four_properties_report_passes_intact_records_and_names_what_fails(client, agency, an_officer, records):
    from evidence.four_properties import assess
    from ledger.checkpoints import make_checkpoint

    fixity.sweep(minutes=5)
    make_checkpoint(force=True)
    results = assess(records)
    authenticity = [c for c in results[0].checks if c.prop == "authenticity"]
    assert authenticity[0].passed and authenticity[1].passed  # hashes as recorded, filing event proven

    original = default_store().path(fixity.stored_object(records[2].blob)).read_bytes()
    tamper(records[2], original[::-1])
    fixity.check(records[2].blob)
    assert not next(r for r in assess(records) if r.record == records[2]).passed

    login(client, an_officer)
    response = client.get("/evidence/report/four-properties/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text, fonts = pdf_text_and_fonts(response.content)
    assert "四性" in text and "真实性" in text and "未通过" in text
    assert records[0].blob.sha256[:20] in text.replace("\n", "")
    assert any("CJK" in font for font in fonts)  # the Chinese font travels inside the PDF
    assert Event.objects.filter(verb="report.four_properties", actor=an_officer).exists()


def test_four_properties_report_refuses_an_empty_selection(client, an_officer, records):
    login(client, an_officer)
    response = client.get("/evidence/report/four-properties/", {"q": "没有这样的记录"})
    assert response.status_code == 302
    assert not Event.objects.filter(verb="report.four_properties").exists()
