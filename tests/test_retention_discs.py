"""Disc images (000/2/16, 001/3/9): ISO 9660 with Joliet names, verified after reading back; two labelled copies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from ledger.models import Event
from retention import disc_services as discs
from retention.discs import image_dir
from retention.models import Disc
from retention.services import RetentionRefused, place_hold
from tests.access_world import build


def _preserve(world, *records) -> None:
    """Long-term preservation (000/2/16) is what lets a record be burned to disc without a copying grant."""
    place_hold(list(records or (world.clip, world.decision, world.transcript)), kind="long_term",
               trigger="objection_or_complaint", reason="当事人对现场执法有异议", actor=world.archivist)


@pytest.fixture
def w(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    world = build("lushan_finance", tmp_path / "media")
    _preserve(world)
    return world


def _read_back(iso_path: Path, into: Path) -> Path:
    """Copy every file out of the image through its Joliet tree, as a Windows reader would."""
    import pycdlib

    iso = pycdlib.PyCdlib()
    iso.open(str(iso_path))
    try:
        for root, _dirs, files in iso.walk(joliet_path="/"):
            for name in files:
                joliet = f"{root.rstrip('/')}/{name}"
                target = into / joliet.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                iso.get_file_from_iso(str(target), joliet_path=joliet)
    finally:
        iso.close()
    return into


def test_000_2_16_a_disc_image_keeps_chinese_names_and_verifies_when_read_back(w, tmp_path):
    from lawtrace_verify.package import verify_package

    disc = discs.request_disc([w.clip, w.decision], title=f"{w.case.title} {w.case.number}", case=w.case,
                              actor=w.archivist)
    discs.make(disc.pk)
    disc.refresh_from_db()
    assert disc.state == Disc.State.READY and len(disc.sha256) == 64
    image = image_dir() / disc.image_name
    assert image.stat().st_size == disc.size
    copy = _read_back(image, tmp_path / "read")
    names = {p.name for p in (copy / "data" / "originals").iterdir()}
    assert f"{w.clip.pk:06d}_{w.clip.original_name}" in names  # 现场 in the name survives
    report = verify_package(copy)
    assert report.passed, report.lines
    assert Event.objects.filter(verb="retention.disc_made", object_id=str(disc.pk)).exists()


def test_000_2_16_two_copies_in_different_places_with_their_own_serials(w):
    disc = discs.request_disc([w.clip], title="现场检查", actor=w.archivist)
    with pytest.raises(RetentionRefused):
        discs.register_carriers(disc, [("A1", "档案室1号柜"), ("A2", "备份室")], actor=w.archivist)  # not made yet
    discs.make(disc.pk)
    disc.refresh_from_db()
    with pytest.raises(RetentionRefused):
        discs.register_carriers(disc, [("A1", "档案室1号柜")], actor=w.archivist)
    with pytest.raises(RetentionRefused):
        discs.register_carriers(disc, [("A1", "档案室"), ("A2", "档案室")], actor=w.archivist)
    carriers = discs.register_carriers(disc, [("A1", "档案室1号柜"), ("A2", "异地备份室")], actor=w.archivist)
    assert [c.copy_number for c in carriers] == [1, 2]
    assert carriers[0].next_check_on > timezone.localdate()
    assert not discs.checks_due(w.agency.pk).exists()
    later = timezone.localdate() + dt.timedelta(days=400)
    assert discs.checks_due(w.agency.pk, later).count() == 2
    with pytest.raises(RetentionRefused):
        discs.record_read_check(carriers[0], readable=False, note="", actor=w.archivist)
    import time_machine

    with time_machine.travel(timezone.now() + dt.timedelta(days=400)):
        discs.record_read_check(carriers[0], readable=True, note="读取正常，哈希一致", actor=w.archivist)
        assert discs.checks_due(w.agency.pk).count() == 1  # the other copy is still to be read
    assert Event.objects.filter(verb="retention.read_check").exists()


def test_only_the_archivist_makes_discs(w):
    with pytest.raises(RetentionRefused):
        discs.request_disc([w.clip], title="x", actor=w.colleague)
    assert Event.objects.filter(verb="retention.disc_request", result="denied").exists()


def test_the_disc_journey_through_the_pages_with_label_and_record_form(client, w):
    import io

    from pypdf import PdfReader

    from tests.conftest import login

    login(client, w.archivist)
    response = client.post("/retention/discs/", {"title": f"{w.case.title}（{w.case.number}）", "case": w.case.pk})
    disc = Disc.objects.get()
    assert response.status_code == 302 and disc.records.count() == 3 and disc.state == Disc.State.QUEUED
    assert 'http-equiv="refresh"' in client.get(f"/retention/discs/{disc.pk}/").content.decode()  # until ready
    discs.make(disc.pk)
    page = client.get(f"/retention/discs/{disc.pk}/")
    assert page.status_code == 200 and disc.records.first().original_name in page.content.decode()
    client.post(f"/retention/discs/{disc.pk}/carriers/", {"serial": ["LS-2026-001", "LS-2026-002"],
                                                          "place": ["档案室2号柜", "局机关备份室"]})
    assert disc.carriers.count() == 2
    label = PdfReader(io.BytesIO(client.get(f"/retention/discs/{disc.pk}/label/").content))
    text = "".join(p.extract_text() for p in label.pages)
    assert "LS-2026-002" in text and w.agency.name in text and w.case.number in text.replace("\n", "")
    form = client.get(f"/retention/discs/{disc.pk}/form/")
    assert form["Content-Type"] == "application/pdf"
    image = client.get(f"/retention/discs/{disc.pk}/image/")
    assert image.status_code == 200 and b"".join(image.streaming_content)[32769:32774] == b"CD001"
    assert Event.objects.filter(verb="retention.disc_download", actor=w.archivist).exists()
    client.force_login(w.colleague)
    assert client.get(f"/retention/discs/{disc.pk}/image/").status_code == 403


def test_001_3_9_the_disc_record_form_names_every_field_and_has_the_signature_lines(client, db, tmp_path, settings):
    import io

    from pypdf import PdfReader

    from tests.conftest import login

    settings.DATA_DIR = tmp_path / "data"
    world = build("pingdingshan_emergency", tmp_path / "media")
    place_hold([world.clip], kind="long_term", trigger=_first_trigger(world), reason="当事人投诉",
               actor=world.archivist)
    disc = discs.request_disc([world.clip], title="某公司检查", case=world.case, actor=world.archivist)
    discs.make(disc.pk)
    login(client, world.archivist)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(
        client.get(f"/retention/discs/{disc.pk}/form/").content)).pages).replace("\n", "")
    for expected in ("执法音像记录设备摄录内容刻盘存储记录表", "摄录人员", "录音录像格式", "承办人甲",
                     "本部门主要负责人", "001/3/9"):
        assert expected in text, expected


def test_archivists_are_told_by_mail_what_expires_and_which_copies_need_reading(w, mailoutbox, settings):
    from retention.notices import due_counts, send_notices

    w.archivist.email = "dangan@example.gov.cn"
    w.archivist.save()
    disc = discs.request_disc([w.clip], title="现场检查", actor=w.archivist)
    disc = discs.make(disc.pk)
    first, _second = discs.register_carriers(disc, [("A1", "档案室"), ("A2", "备份室")], actor=w.archivist)
    later = first.next_check_on  # both copies due that day, and the clip's twelve months end within 30 days
    assert due_counts(w.agency, later) == (1, 2)
    assert due_counts(w.agency) == (0, 0)
    assert send_notices(later) == 1
    message = mailoutbox[0]
    assert message.to == ["dangan@example.gov.cn"] and w.agency.name in message.body
    assert Event.objects.filter(verb="retention.notice").exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    assert send_notices(later) == 0  # no SMTP configured: the dashboard alone tells


def _first_trigger(world) -> str:
    from policy.registry import registry

    return registry().in_force(world.agency.pack_code).long_term.triggers[0].id
