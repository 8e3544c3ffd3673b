"""The storage deadline of each pack (the 24-hour rule) and linking clips to enforcement activities."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from evidence import services
from evidence.ingest import Origin, ingest_file
from evidence.models import Record
from evidence.queries import worklist
from evidence.synthetic import make_video
from ledger.models import Event
from tests.factories import ActivityFactory, AgencyFactory, CaseFactory, DeviceFactory, officer

TZ = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def agency_for(pack: str):
    codes = {"lushan_finance": "lushan-finance", "pingdingshan_emergency": "pds-emergency",
             "xinzhou_finance": "xinzhou-finance", "ruzhou_water": "ruzhou-water"}
    return AgencyFactory(code=codes[pack], name=pack, pack_code=pack)


def file_clip(tmp_path, agency, person, *, recorded: dt.datetime, stored: dt.datetime, activity=None,
              remote_reason: str = "", returned: dt.datetime | None = None, fps: int = 10) -> Record:
    path = make_video(tmp_path / f"clip-{fps}-{recorded:%d%H%M}.mp4", seconds=1, fps=fps, created=recorded)
    origin = Origin(agency=agency, channel=Record.Channel.UPLOAD, ingested_by=person, officer=person,
                    device=DeviceFactory(agency=agency), activity=activity, remote_reason=remote_reason,
                    returned_to_unit_at=returned)
    with time_machine.travel(stored, tick=False):
        return ingest_file(path, path.name, origin).record


@pytest.mark.django_db
class TestStorageDeadlines:
    def test_000_2_13_stored_by_the_end_of_the_activity_day(self, tmp_path):
        agency = agency_for("lushan_finance")
        person = officer(agency)
        activity = ActivityFactory(agency=agency, planned_start=at(20, 9), planned_end=at(20, 11), officers=[person])
        on_time = file_clip(tmp_path, agency, person, recorded=at(20, 10), stored=at(20, 23, 59), activity=activity)
        assert not on_time.late and on_time.deadline_cite == "000/2/13"
        late = file_clip(tmp_path, agency, person, recorded=at(20, 10, 5), stored=at(21, 0, 1), activity=activity,
                         fps=11)
        assert late.late and late.due_at == at(21, 0)

    def test_000_2_13_remote_work_allows_24_hours_after_return(self, tmp_path):
        agency = agency_for("lushan_finance")
        person = officer(agency)
        kept = file_clip(tmp_path, agency, person, recorded=at(20, 10), stored=at(22, 8),
                         remote_reason="山区巡查，交通不便", returned=at(21, 9))
        assert not kept.late and kept.deadline_rule == "remote_or_continuous"
        late = file_clip(tmp_path, agency, person, recorded=at(20, 10, 30), stored=at(22, 9, 1),
                         remote_reason="山区巡查，交通不便", returned=at(21, 9), fps=11)
        assert late.late

    def test_001_2_8_within_24_hours_of_the_recording(self, tmp_path):
        agency = agency_for("pingdingshan_emergency")
        person = officer(agency)
        # A three-day inspection: the same-day rule (001/3/6) waits for its end, 001/2/8 does not.
        activity = ActivityFactory(agency=agency, planned_start=at(20, 8), planned_end=at(22, 17), officers=[person])
        late = file_clip(tmp_path, agency, person, recorded=at(20, 9), stored=at(21, 9, 1), activity=activity)
        assert late.late and late.deadline_cite == "001/2/8"
        assert late.due_at == at(21, 9, 0) + dt.timedelta(seconds=1)
        kept = file_clip(tmp_path, agency, person, recorded=at(20, 10), stored=at(21, 9, 59), activity=activity,
                         fps=11)
        assert not kept.late

    def test_001_3_6_exported_the_same_day_the_activity_ends(self, tmp_path):
        agency = agency_for("pingdingshan_emergency")
        person = officer(agency)
        activity = ActivityFactory(agency=agency, category="inspection", planned_start=at(20, 9),
                                   planned_end=at(20, 10), officers=[person])
        late = file_clip(tmp_path, agency, person, recorded=at(20, 9, 30), stored=at(21, 8), activity=activity)
        assert late.late and late.deadline_cite == "001/3/6"
        on_time = file_clip(tmp_path, agency, person, recorded=at(20, 9, 40), stored=at(20, 22), activity=activity,
                            fps=11)
        assert not on_time.late

    def test_004_11_stored_after_each_working_day(self, tmp_path):
        agency = agency_for("xinzhou_finance")
        person = officer(agency)
        assert not file_clip(tmp_path, agency, person, recorded=at(20, 15), stored=at(20, 18)).late
        late = file_clip(tmp_path, agency, person, recorded=at(20, 16), stored=at(21, 9), fps=11)
        assert late.late and late.deadline_cite == "004/11"

    def test_002_storage_deadline_after_each_activity(self, tmp_path):
        agency = agency_for("ruzhou_water")
        person = officer(agency)
        late = file_clip(tmp_path, agency, person, recorded=at(20, 15), stored=at(22, 9))
        assert late.late and late.deadline_cite == "002/音像/13"

    def test_late_items_are_on_the_late_worklist(self, tmp_path):
        agency = agency_for("xinzhou_finance")
        person = officer(agency)
        late = file_clip(tmp_path, agency, person, recorded=at(20, 16), stored=at(21, 9))
        assert list(worklist(person, "late")) == [late]


@pytest.mark.django_db
class TestLinking:
    def test_a_clip_links_itself_to_the_one_overlapping_activity_of_its_officer(self, tmp_path, agency):
        person = officer(agency)
        case = CaseFactory(agency=agency, party_name="某建材有限公司")
        activity = ActivityFactory(agency=agency, case=case, planned_start=at(20, 9), planned_end=at(20, 11),
                                   officers=[person])
        ActivityFactory(agency=agency, planned_start=at(20, 9), planned_end=at(20, 11), officers=[officer(agency)])
        record = file_clip(tmp_path, agency, person, recorded=at(20, 10), stored=at(20, 12))
        assert record.activity == activity and record.link_state == "auto"
        assert record.case == case and record.party == "某建材有限公司"

    def test_clock_skew_is_corrected_before_matching(self, tmp_path, agency):
        person = officer(agency)
        activity = ActivityFactory(agency=agency, planned_start=at(20, 9), planned_end=at(20, 10), officers=[person])
        camera = DeviceFactory(agency=agency)
        services.report_docking(camera, device_time=at(20, 14), reference_time=at(20, 12))  # two hours fast
        path = make_video(tmp_path / "c.mp4", seconds=1, created=at(20, 11, 45))
        origin = Origin(agency=agency, channel="upload", ingested_by=person, officer=person, device=camera)
        with time_machine.travel(at(20, 12, 30), tick=False):
            record = ingest_file(path, "c.mp4", origin).record
        assert record.clock_skew_seconds == 7200
        assert record.activity == activity

    def test_ambiguous_and_unmatched_clips_go_to_the_worklist(self, tmp_path, agency):
        person = officer(agency)
        ActivityFactory(agency=agency, planned_start=at(20, 9), planned_end=at(20, 11), officers=[person])
        ActivityFactory(agency=agency, planned_start=at(20, 10), planned_end=at(20, 12), officers=[person])
        ambiguous = file_clip(tmp_path, agency, person, recorded=at(20, 10, 30), stored=at(20, 13))
        unmatched = file_clip(tmp_path, agency, person, recorded=at(20, 18), stored=at(20, 19), fps=11)
        assert ambiguous.link_state == "ambiguous" and ambiguous.activity is None
        assert unmatched.link_state == "unmatched"
        assert set(worklist(person, "unlinked")) == {ambiguous, unmatched}

    def test_manual_link_and_unlink_are_recorded(self, tmp_path, agency):
        person = officer(agency)
        activity = ActivityFactory(agency=agency, planned_start=at(20, 9), planned_end=at(20, 11), officers=[person])
        record = file_clip(tmp_path, agency, person, recorded=at(20, 18), stored=at(20, 19))
        services.link_record(record, activity, actor=person)
        record.refresh_from_db()
        assert record.activity == activity and record.link_state == "manual"
        services.unlink_record(record, actor=person, reason="时间不符，另一次检查")
        record.refresh_from_db()
        assert record.activity is None and record.link_state == "unmatched"
        verbs = list(Event.objects.filter(object_id=str(record.pk), object_type="evidence.record").order_by("seq")
                     .values_list("verb", flat=True))
        assert verbs == ["record.ingest", "record.link", "record.unlink"]

    def test_records_missing_classification_are_on_the_worklist_until_completed(self, tmp_path, agency):
        person = officer(agency)
        record = file_clip(tmp_path, agency, person, recorded=at(20, 18), stored=at(20, 19))
        assert record in worklist(person, "missing")
        case = CaseFactory(agency=agency, handlers=[person])  # an officer files into the cases they handle
        services.classify_record(record, {"case": case, "party": case.party_name, "unit": person.unit or
                                          _unit(agency)}, actor=person)
        assert record not in worklist(person, "missing")
        assert Event.objects.filter(verb="record.classify", object_id=str(record.pk)).exists()


def _unit(agency):
    from tests.factories import UnitFactory

    return UnitFactory(agency=agency)


def test_storage_date_is_set_by_the_system(db, tmp_path, agency):
    person = officer(agency)
    moment = timezone.now().replace(microsecond=0)
    record = file_clip(tmp_path, agency, person, recorded=moment - dt.timedelta(hours=1), stored=moment)
    assert record.stored_at == moment
