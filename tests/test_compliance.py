"""The compliance engine: what each checklist row obliges, coverage and gaps, notes, lateness, subjects, devices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from authz.roles import Role
from compliance import services
from compliance.models import ActivityStatus, Finding, InterruptionNote
from devices import services as devices
from evidence import services as evidence
from ledger.models import Event
from org.models import Qualification
from policy.registry import registry
from tests.factories import (
    ActivityFactory,
    AgencyFactory,
    DeviceFactory,
    QualificationFactory,
    RecordFactory,
    UserFactory,
    officer,
)

TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)  # a Monday, long past: every deadline has passed
END = START + dt.timedelta(hours=2)
CODES = {"lushan_finance": "lushan-finance", "pingdingshan_emergency": "pds-emergency",
         "xinzhou_finance": "xinzhou-finance", "ruzhou_water": "ruzhou-water"}


def agency_for(pack: str):
    return AgencyFactory(code=CODES[pack], name=pack, pack_code=pack)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def activity_for(agency, person, stage: str, category: str, **flags):
    return ActivityFactory(agency=agency, stage=stage, category=category, planned_start=START, planned_end=END,
                           officers=[person], **flags)


def clip(activity, person, start, end, *, kind="av", device=None, **fields):
    return RecordFactory(agency=activity.agency, activity=activity, officer=person, kind=kind, device=device,
                         recorded_start=start, recorded_end=end, **fields)


BEFORE_START = START - dt.timedelta(minutes=30)


def checked(device, person, at=BEFORE_START):
    items = {item_id: True for item_id, _label, _cites in devices.check_items(device.agency)}
    return devices.record_check(device, items, actor=person, at=at)


def open_rules(activity) -> dict[str, Finding]:
    return {f.fingerprint: f for f in Finding.objects.filter(activity=activity, closed_at=None)}


def rules_of(activity) -> set[str]:
    return {f.rule for f in Finding.objects.filter(activity=activity, closed_at=None)}


def fully_recorded(activity, person, row, device):
    clip(activity, person, START - minutes(1), END + minutes(1), device=device)
    if row.key_moment_photos:
        clip(activity, person, START + minutes(10), START + minutes(10), kind="photo", device=device)
    if devices.check_items(device.agency):
        checked(device, person)


def scenarios():
    for code in CODES:
        for row in registry().files(code)[0].pack.checklist:
            yield pytest.param(code, row.id, id=f"{code}-{row.id}")


@pytest.mark.django_db
@pytest.mark.parametrize(("pack_code", "row_id"), list(scenarios()))
def test_002_checklist_every_row_of_every_pack_is_judged(pack_code, row_id):
    """For each checklist row: nothing recorded is a finding citing the row (when it applies); full recording is not."""
    agency = agency_for(pack_code)
    row = next(r for r in registry().files(pack_code)[0].pack.checklist if r.id == row_id)
    person = officer(agency)
    category = row.categories[0].value
    empty = activity_for(agency, person, row.id, category)
    services.refresh([empty.pk])
    if row.obligation.always():
        assert "not_recorded" in rules_of(empty)
        assert open_rules(empty)["not_recorded"].cites == ", ".join(row.cite)
    else:
        # 001 附件1 (二): needed only when a dispute may arise.
        assert rules_of(empty) == set()
        disputed = activity_for(agency, person, row.id, category, properties=["dispute_likely"])
        services.refresh([disputed.pk])
        assert "not_recorded" in rules_of(disputed)
    done = activity_for(agency, person, row.id, category, properties=["dispute_likely"])
    fully_recorded(done, person, row, DeviceFactory(agency=agency))
    services.refresh([done.pk])
    assert rules_of(done) == set()
    assert ActivityStatus.objects.get(activity=done).compliant


@pytest.mark.django_db
class TestCoverage:
    def setup_agency(self, pack="pingdingshan_emergency"):
        agency = agency_for(pack)
        person = officer(agency)
        return agency, person

    def test_001_2_6_recording_runs_from_arrival_to_departure(self):
        agency, person = self.setup_agency()
        activity = activity_for(agency, person, "daily_inspection", "inspection")
        clip(activity, person, START + minutes(20), END - minutes(30))
        services.refresh([activity.pk])
        found = open_rules(activity)
        start = next(f for f in found.values() if f.rule == "start_not_covered")
        assert start.params["moment"] == "开始执法检查时" and start.params["minutes"] == 20
        assert any(f.rule == "end_not_covered" for f in found.values())

    def test_000_2_12_gap_needs_a_note_the_head_approves(self):
        agency = agency_for("lushan_finance")
        person = officer(agency)
        head = UserFactory(agency=agency, roles=(Role.HEAD,))
        activity = activity_for(agency, person, "on_site_enforcement", "inspection")
        first = clip(activity, person, START, START + minutes(50))
        second = clip(activity, person, START + minutes(70), END)
        clip(activity, person, START + minutes(5), START + minutes(5), kind="photo")
        services.refresh([activity.pk])
        gap = next(f for f in open_rules(activity).values() if f.rule == "gap")
        assert gap.cites.startswith("000/2/12") and gap.params["minutes"] == 20
        note = services.submit_note(activity, {
            "reason": "device_fault", "explanation": "电池耗尽，更换备用电池", "basis": "设备电量不足",
            "gap_start": START + minutes(50), "gap_end": START + minutes(70)},
            [first, second], actor=person, participant_ids={person.pk})
        gap = next(f for f in open_rules(activity).values() if f.rule == "gap")
        assert gap.params["note_state"] == "submitted"  # waiting for review does not close it
        with pytest.raises(PermissionError):
            services.decide_note(note, approve=True, comment="", actor=person)
        with pytest.raises(ValidationError):
            services.decide_note(note, approve=False, comment="", actor=head)
        returned = services.decide_note(note, approve=False, comment="写明更换电池的时间", actor=head)
        assert returned.state == InterruptionNote.State.RETURNED
        assert "gap" in rules_of(activity)
        revised = services.revise_note(returned, {"explanation": "10:50电池耗尽，11:10更换备用电池后恢复"},
                                       [first, second], actor=person, participant_ids={person.pk})
        services.decide_note(revised, approve=True, comment="同意备案", actor=head)
        assert "gap" not in rules_of(activity)
        assert Finding.objects.filter(activity=activity, rule="gap", closed_at__isnull=False).exists()
        notes = Event.objects.filter(object_type="compliance.interruptionnote").order_by("seq")
        verbs = list(notes.values_list("verb", flat=True))
        assert verbs == ["note.submit", "note.return", "note.revise", "note.approve"]

    def test_000_2_12_reason_must_be_one_the_pack_allows(self):
        agency = agency_for("lushan_finance")
        person = officer(agency)
        activity = activity_for(agency, person, "on_site_enforcement", "inspection")
        with pytest.raises(ValidationError) as refused:
            services.submit_note(activity, {"reason": "felt_like_it", "explanation": "x", "basis": "y",
                                            "gap_start": START, "gap_end": START + minutes(5)},
                                 [], actor=person, participant_ids={person.pk})
        assert "reason" in refused.value.message_dict
        assert not InterruptionNote.objects.exists()

    def test_001_2_4_major_hazard_must_be_uninterrupted(self):
        agency, person = self.setup_agency()
        relaxed = activity_for(agency, person, "daily_inspection", "inspection")
        strict = activity_for(agency, person, "daily_inspection", "inspection", properties=["major_hazard"])
        for activity in (relaxed, strict):
            clip(activity, person, START, START + minutes(60))
            clip(activity, person, START + minutes(61), END)
        services.refresh([relaxed.pk, strict.pk])
        assert "gap" not in rules_of(relaxed)  # one minute is within the ordinary tolerance
        gap = next(f for f in open_rules(strict).values() if f.rule == "gap")
        assert gap.severity == "high" and "001/2/4" in gap.cites and gap.params["uninterrupted"]

    def test_000_2_11_key_moments_need_photos(self):
        agency = agency_for("lushan_finance")
        person = officer(agency)
        activity = activity_for(agency, person, "on_site_enforcement", "inspection")
        clip(activity, person, START, END)
        services.refresh([activity.pk])
        assert "key_photos_missing" in rules_of(activity)
        assert "000/2/11" in open_rules(activity)["key_photos_missing"].cites

    def test_004_18_key_moments_with_written_record_when_full_recording_impossible(self):
        agency = agency_for("xinzhou_finance")
        person = officer(agency)
        head = UserFactory(agency=agency, roles=(Role.HEAD,))
        activity = activity_for(agency, person, "investigation", "penalty")
        clip(activity, person, START, START + minutes(30))
        clip(activity, person, END - minutes(10), END)
        note = services.submit_note(activity, {
            "reason": "objective_conditions", "explanation": "井下作业面无法持续录像", "basis": "受客观条件限制",
            "gap_start": START + minutes(30), "gap_end": END - minutes(10)}, [], actor=person,
            participant_ids={person.pk})
        services.decide_note(note, approve=True, comment="", actor=head)
        assert rules_of(activity) == {"written_record_missing"}
        assert open_rules(activity)["written_record_missing"].cites == "004/18"
        doc = RecordFactory(agency=agency, kind="document", original_name="询问笔录.pdf", officer=person)
        evidence.link_record(doc, activity, actor=person)
        assert rules_of(activity) == set()


@pytest.mark.django_db
class TestLatenessSubjectsDevices:
    def test_001_3_6_late_storage_is_a_finding_with_the_deadline_article(self):
        agency = agency_for("pingdingshan_emergency")
        person = officer(agency)
        activity = activity_for(agency, person, "daily_inspection", "inspection")
        late = clip(activity, person, START, END, late=True, deadline_cite="001/3/6")
        services.refresh([activity.pk])
        finding = open_rules(activity)[f"stored_late:r{late.pk}"]
        assert finding.record == late and finding.cites == "001/3/6"

    def test_004_7_recording_subject_must_hold_an_enforcement_qualification(self):
        agency = agency_for("xinzhou_finance")
        person = officer(agency)
        helper = UserFactory(agency=agency, roles=(Role.OFFICER,))
        QualificationFactory(user=helper, kind=Qualification.Kind.ASSISTING)
        activity = activity_for(agency, person, "investigation", "penalty")
        clip(activity, person, START, START + minutes(60))
        by_helper = clip(activity, helper, START + minutes(60), END)
        services.refresh([activity.pk])
        finding = open_rules(activity)[f"recorder_unqualified:r{by_helper.pk}"]
        assert finding.cites == "004/7, 004/8" and finding.officer == helper
        assert len([f for f in open_rules(activity).values() if f.rule == "recorder_unqualified"]) == 1

    def test_004_8_other_packs_do_not_judge_the_subject(self):
        agency = agency_for("pingdingshan_emergency")
        person = officer(agency)
        helper = UserFactory(agency=agency, roles=(Role.OFFICER,))
        activity = activity_for(agency, person, "daily_inspection", "inspection")
        clip(activity, helper, START, END)
        services.refresh([activity.pk])
        assert "recorder_unqualified" not in rules_of(activity)

    def test_000_2_7_pre_use_check_and_device_clock(self):
        agency = agency_for("lushan_finance")
        person = officer(agency)
        device = DeviceFactory(agency=agency)
        activity = activity_for(agency, person, "hearing", "penalty")
        clip(activity, person, START, END, device=device, clock_skew_seconds=-300)
        services.refresh([activity.pk])
        assert {"pre_use_check_missing", "clock_off"} <= rules_of(activity)
        assert open_rules(activity)[f"pre_use_check_missing:d{device.pk}"].cites == "000/2/7"
        checked(device, person)  # the check's own event refreshes the activity
        assert "pre_use_check_missing" not in rules_of(activity)
        assert "clock_off" in rules_of(activity)

    def test_004_20_a_failed_check_does_not_count(self):
        agency = agency_for("xinzhou_finance")
        person = officer(agency)
        device = DeviceFactory(agency=agency)
        activity = activity_for(agency, person, "hearing", "penalty")
        clip(activity, person, START, END, device=device, clock_skew_seconds=-300)
        devices.record_check(device, {"battery": False, "storage": False, "working": True}, actor=person,
                             at=START - minutes(20))
        services.refresh([activity.pk])
        # One finding per failed item, naming it (issue 21, item 7); none for the item that passed.
        failed = {key: f for key, f in open_rules(activity).items() if f.rule == "pre_use_item_failed"}
        assert set(failed) == {f"pre_use_item_failed:d{device.pk}:battery", f"pre_use_item_failed:d{device.pk}:storage"}
        battery = failed[f"pre_use_item_failed:d{device.pk}:battery"]
        assert battery.cites == "004/20" and battery.params["item_label"] == "及时检查执法记录设备的电池容量"
        assert "pre_use_check_missing" not in rules_of(activity)
        assert "clock_off" not in rules_of(activity)  # 004 asks for no clock setting

    def test_000_2_4_clip_by_someone_the_device_was_not_handed_to(self):
        agency = agency_for("lushan_finance")
        person, other = officer(agency), officer(agency)
        keeper = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))
        device = DeviceFactory(agency=agency)
        devices.hand_out(device, other, actor=keeper, purpose="日常巡查", at=START - minutes(60))
        activity = activity_for(agency, person, "hearing", "penalty")
        mine = clip(activity, person, START, END, device=device)
        services.refresh([activity.pk])
        assert open_rules(activity)[f"device_not_handed_out:r{mine.pk}"].cites == "000/2/4"


@pytest.mark.django_db
class TestIncrementalAndNightly:
    def test_findings_follow_links_without_a_recompute(self):
        agency = agency_for("pingdingshan_emergency")
        person = officer(agency)
        activity = activity_for(agency, person, "daily_inspection", "inspection")
        services.refresh([activity.pk])
        assert "not_recorded" in rules_of(activity)
        loose = RecordFactory(agency=agency, officer=person, recorded_start=START, recorded_end=END,
                              link_state="unmatched")
        evidence.link_record(loose, activity, actor=person)
        assert "not_recorded" not in rules_of(activity)
        evidence.unlink_record(loose, actor=person, reason="不是这次检查")
        assert "not_recorded" in rules_of(activity)

    def test_nightly_recompute_reports_what_the_incremental_path_missed(self):
        agency = agency_for("pingdingshan_emergency")
        person = officer(agency)
        activity = activity_for(agency, person, "daily_inspection", "inspection")
        quiet = services.recompute_all()
        assert quiet.opened == 1  # the activity was created without an evaluation
        again = services.recompute_all()
        assert (again.opened, again.closed) == (0, 0)
        clip(activity, person, START, END)  # written behind the engine's back: no event, no refresh
        repaired = services.recompute_all()
        assert repaired.closed == 1 and repaired.sample == [
            {"activity": activity.pk, "rule": "not_recorded", "change": "closed"}]
        assert Event.objects.filter(verb="compliance.recompute").count() == 3


@pytest.mark.django_db
def test_002_checklist_activities_count_in_rates_once_their_recordings_are_due():
    agency = agency_for("pingdingshan_emergency")
    person = officer(agency)
    future = ActivityFactory(agency=agency, stage="daily_inspection", category="inspection",
                             planned_start=dt.datetime(2099, 1, 1, 9, tzinfo=TZ),
                             planned_end=dt.datetime(2099, 1, 1, 11, tzinfo=TZ), officers=[person])
    past = activity_for(agency, person, "daily_inspection", "inspection")
    services.refresh([future.pk, past.pk])
    assert not ActivityStatus.objects.get(activity=future).required
    assert ActivityStatus.objects.get(activity=past).required


@pytest.mark.django_db
def test_viewing_a_clip_does_not_re_judge_its_activity():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agency = agency_for("pingdingshan_emergency")
    person = officer(agency)
    activity = activity_for(agency, person, "daily_inspection", "inspection")
    seen = clip(activity, person, START, END)
    with CaptureQueriesContext(connection) as captured:
        evidence.record_view(seen, actor=person)
    assert not [q["sql"] for q in captured if "compliance_" in q["sql"]]
    with CaptureQueriesContext(connection) as captured:
        evidence.link_record(seen, activity, actor=person)
    assert [q["sql"] for q in captured if "compliance_" in q["sql"]]


@pytest.mark.django_db
def test_002_the_current_month_counts_an_activity_with_an_open_finding_before_its_recordings_are_due():
    from django.utils import timezone

    from compliance.queries import rates

    agency = agency_for("xinzhou_finance")
    person = officer(agency)
    helper = UserFactory(agency=agency, roles=(Role.OFFICER,))  # no enforcement certificate (004/7-8)
    ended = timezone.now() - dt.timedelta(minutes=5)  # its recordings are due only later
    activity = ActivityFactory(agency=agency, stage="investigation", category="penalty", officers=[person],
                               planned_start=ended - dt.timedelta(hours=1), planned_end=ended)
    clip(activity, helper, ended - dt.timedelta(hours=1), ended)
    services.refresh([activity.pk])
    status = ActivityStatus.objects.get(activity=activity)
    assert status.open_findings and status.required and not status.compliant
    head = UserFactory(agency=agency, roles=(Role.HEAD,))
    month = timezone.localdate().replace(day=1)
    assert [(r["month"], r["total"], r["rate"]) for r in rates(head, "month", month)] == [(month, 1, 0.0)]
