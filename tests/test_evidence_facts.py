"""Evidence facts are bound to the log (issue 19, section 4): editing a record's row behind the application's back is
named by ledger verification; fixity covers every derivative shown or handed out, each with its source's hash."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from access import exports, services
from evidence import derivatives, fixity
from evidence.models import Derivative, FixityCheck, Record
from evidence.services import classify_record
from evidence.store import default_store
from ledger.models import Event
from ledger.verification import verify_ledger
from retention import disc_services as discs
from retention.discs import image_dir
from retention.services import RetentionRefused
from tests.access_world import application, build
from tests.factories import RecordFactory, officer
from tests.ledger_attacks import lift_triggers, sql

pytestmark = pytest.mark.django_db
LETTER = {"introduction_letter": "法调〔2026〕3号", "valid_id": "410402197003030033"}


@pytest.fixture
def world(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    made = build("lushan_finance", tmp_path / "media")
    derivatives.make_all(made.clip)  # what the worker does after filing: thumbnail and contact strip
    return made


def record_problems(report) -> dict[str, str]:
    return {p.ref: p.message for p in report.problems if p.kind in ("record", "derivative")}


def test_records_filed_linked_and_corrected_through_the_application_verify(world):
    other = officer(world.agency, full_name="执法人员戊")
    start = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    classify_record(world.clip, {"officer": other, "recorded_start": start, "recorded_end": start + dt.timedelta(
        seconds=3)}, actor=world.archivist)
    report = verify_ledger()
    assert report.passed, report.problems
    assert Derivative.objects.filter(record=world.clip).count() >= 2
    assert Event.objects.filter(verb="record.derivative", object_id=str(world.clip.pk)).count() >= 2


@pytest.mark.parametrize(("column", "value"), [
    ("officer_id", "colleague"), ("case_id", None), ("original_name", "'换名.mp4'"),
    ("recorded_start", "'2025-01-01 00:00:00'"), ("recorded_end", "'2025-01-01 00:10:00'"),
    ("stored_at", "'2020-01-01 00:00:00'"), ("device_id", None), ("blob_id", "other")])
def test_editing_a_record_row_is_named_by_verification(world, column, value):
    lift_triggers()
    if value == "colleague":
        value = str(world.colleague.pk)
    elif value == "other":
        value = str(world.decision.blob_id)
    elif value is None:
        value = "NULL"
        if column == "device_id":  # the clip has no device: give it one the ledger never recorded
            from tests.factories import DeviceFactory

            value = str(DeviceFactory(agency=world.agency).pk)
    if column in ("recorded_start", "recorded_end", "stored_at"):
        value = _stored_time(value)
    sql(f'UPDATE evidence_record SET "{column}" = {value} WHERE id = %s', [world.clip.pk])
    report = verify_ledger()
    assert list(record_problems(report)) == [f"record:{world.clip.pk}"], report.problems
    with pytest.raises(CommandError, match="FAILED"):
        call_command("ledger", "verify", stdout=io.StringIO())


def _stored_time(literal: str) -> str:
    from django.db import connection

    return literal if connection.vendor == "sqlite" else f"{literal}::timestamptz"


def test_replacing_an_original_and_its_hashes_is_named_although_fixity_passes(world):
    blob = world.decision.blob
    path = default_store().path(fixity.stored_object(blob))
    forged = b"%PDF-1.4\n% a different decision\n%%EOF\n"
    path.chmod(0o644)
    path.write_bytes(forged)
    import hashlib

    sql("UPDATE evidence_blob SET sha256 = %s, sm3 = %s, size = %s WHERE id = %s",
        [hashlib.sha256(forged).hexdigest(), hashlib.new("sm3", forged).hexdigest(), len(forged), blob.pk])
    blob.refresh_from_db()
    assert fixity.check(blob).outcome == FixityCheck.Outcome.INTACT  # the row now agrees with the bytes
    report = verify_ledger()
    message = record_problems(report)[f"record:{world.decision.pk}"]
    assert "SHA-256" in message and "SM3" in message


def test_a_record_row_added_or_removed_behind_the_application_is_named(world):
    stray = RecordFactory(agency=world.agency)
    lift_triggers()
    sql("DELETE FROM retention_schedule WHERE record_id = %s", [world.transcript.pk])  # its dependants go first
    sql("DELETE FROM evidence_record WHERE id = %s", [world.transcript.pk])
    problems = record_problems(verify_ledger())
    assert {f"record:{stray.pk}", f"record:{world.transcript.pk}"} <= set(problems)


def test_a_changed_derivative_is_found_by_fixity_and_its_row_by_verification(world):
    thumbnail = Derivative.objects.get(record=world.clip, kind=Derivative.Kind.THUMBNAIL)
    path = default_store().path(fixity.stored_object(thumbnail.blob))
    path.chmod(0o644)
    path.write_bytes(b"\xff\xd8 not the frame it was")
    report = fixity.sweep(minutes=5)
    assert report.failed == 1
    event = Event.objects.get(verb="fixity.changed")
    assert event.object_id == str(world.clip.pk) and event.detail["derivative"] == "thumbnail"
    assert event.detail["source_sha256"] == world.clip.blob.sha256
    lift_triggers()
    sql("UPDATE evidence_derivative SET source_sha256 = %s WHERE id = %s", ["0" * 64, thumbnail.pk])
    assert f"derivative:{thumbnail.pk}" in record_problems(verify_ledger())


def test_a_derivative_swapped_for_another_object_is_named(world):
    strip = Derivative.objects.get(record=world.clip, kind=Derivative.Kind.CONTACT_STRIP)
    lift_triggers()
    sql("UPDATE evidence_derivative SET blob_id = %s WHERE id = %s", [world.decision.blob_id, strip.pk])
    assert f"derivative:{strip.pk}" in record_problems(verify_ledger())


def test_a_changed_package_archive_is_not_handed_out(world):
    access = services.submit_request(application(world, "court", ["photocopy"], credentials=LETTER),
                                     actor=world.archivist)
    export = exports.build(exports.request_export(access, actor=world.archivist, maker="档案员",
                                                  extractor="档案员", proves="现场检查经过").pk)
    archive = exports.archive_dir() / export.archive_name
    with archive.open("r+b") as handle:
        handle.seek(archive.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(services.AccessRefused, match="哈希|hash"):
        exports.open_archive(export, actor=world.archivist)
    assert Event.objects.filter(verb="fixity.changed", object_type="access.packageexport").exists()
    assert Event.objects.filter(verb="package.download", result="denied").exists()


def test_a_package_row_whose_hash_was_edited_to_match_a_changed_archive_is_still_refused(world):
    access = services.submit_request(application(world, "court", ["photocopy"], credentials=LETTER),
                                     actor=world.archivist)
    export = exports.build(exports.request_export(access, actor=world.archivist, maker="档案员",
                                                  extractor="档案员", proves="现场检查经过").pk)
    archive = exports.archive_dir() / export.archive_name
    archive.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    import hashlib

    sql("UPDATE access_packageexport SET sha256 = %s WHERE id = %s",
        [hashlib.sha256(archive.read_bytes()).hexdigest(), export.pk])
    export.refresh_from_db()
    with pytest.raises(services.AccessRefused):
        exports.open_archive(export, actor=world.archivist)


def test_a_changed_disc_image_is_not_handed_out(world):
    disc = discs.request_disc([world.clip], title="案卷光盘", case=world.case, actor=world.archivist)
    discs.make(disc.pk)
    disc.refresh_from_db()
    handle = discs.open_image(disc, actor=world.archivist)
    handle.close()
    image = image_dir() / disc.image_name
    with image.open("r+b") as target:
        target.seek(40000)
        target.write(b"\x00forged")
    with pytest.raises(RetentionRefused):
        discs.open_image(disc, actor=world.archivist)
    assert Event.objects.filter(verb="fixity.changed", object_type="retention.disc").exists()
    assert Event.objects.filter(verb="retention.disc_download", result="denied").exists()


def test_record_facts_are_read_whatever_bytes_a_row_holds(world):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL refuses to store bytes it could not read")
    lift_triggers()
    sql("UPDATE evidence_record SET original_name = CAST(X'FFFE' AS TEXT), recorded_start = 'garbage' WHERE id = %s",
        [world.clip.pk])
    assert f"record:{world.clip.pk}" in record_problems(verify_ledger())


def test_ingest_records_the_ingest_time_it_is_checked_against(world):
    event = Event.objects.get(verb="record.ingest", object_id=str(world.clip.pk))
    assert event.after["stored_at"] == Record.objects.get(pk=world.clip.pk).stored_at.astimezone(dt.UTC).isoformat()
