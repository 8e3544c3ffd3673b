"""Disc images (R6.2, R6.3): ISO 9660 with Joliet names, verified after reading back; two labelled copies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from ledger.models import Event
from retention import disc_services as discs
from retention.discs import image_dir
from retention.models import Disc
from retention.services import RetentionRefused
from tests.access_world import build


@pytest.fixture
def w(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    return build("lushan_finance", tmp_path / "media")


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
