"""Three further published rulebooks written as packs with no code change (issue 21): each one's distinctive rule is
enforced, and an activity it legitimately exempts is not flagged.

005 郏县民族宗教局行政执法音像记录管理制度 — grounds for not recording with a work record to the unit head (005/5);
    recorders kept by the 县民族宗教事务中心 (005/6).
006 焦作市司法局音像记录事项清单 — a list alone: every row kept permanently; recording runs between moments inside an
    activity (制作文书开始 → 当事人签字结束).
007 四平市自然资源局行政执法音像记录管理制度 — whole, unbroken recording of on-site activities touching personal
    liberty, life and health or major property rights (007/4).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from authz.roles import Role
from compliance import services
from compliance.labels import fix_url
from compliance.models import Finding, InterruptionNote
from devices import services as devices
from ledger.models import Event
from org.models import Unit
from retention.models import Schedule
from retention.services import refresh as refresh_retention
from tests.conftest import login
from tests.factories import (
    ActivityFactory,
    AgencyFactory,
    CaseFactory,
    DeviceFactory,
    RecordFactory,
    UserFactory,
    officer,
)

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)  # long past: every deadline has passed
END = START + dt.timedelta(hours=2)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def open_findings(activity) -> dict[str, Finding]:
    return {f.rule: f for f in Finding.objects.filter(activity=activity, closed_at=None)}


def activity(agency, person, stage, category, **fields):
    return ActivityFactory(agency=agency, stage=stage, category=category, planned_start=START, planned_end=END,
                           actual_start=START, actual_end=END, officers=[person], **fields)


def clip(made, person, start, end, **fields):
    return RecordFactory(agency=made.agency, activity=made, officer=person, recorded_start=start, recorded_end=end,
                         **fields)


# --- 005 郏县民族宗教局 ---------------------------------------------------------------------------------------


@pytest.fixture
def jiaxian():
    return AgencyFactory(code="jiaxian-ethnic-religious", name="郏县民族宗教局", pack_code="jiaxian_ethnic_religious")


def test_005_5_an_activity_not_recorded_on_an_allowed_ground_is_not_flagged_once_the_head_files_the_work_record(
        jiaxian):
    person, head = officer(jiaxian), UserFactory(agency=jiaxian, roles=(Role.HEAD,))
    flagged = activity(jiaxian, person, "daily_inspection", "inspection")
    exempt = activity(jiaxian, person, "daily_inspection", "inspection")
    services.refresh([flagged.pk, exempt.pk])
    finding = open_findings(exempt)["not_recorded"]
    assert finding.cites == "005/4/(一), 005/7"
    assert fix_url(finding).endswith(f"/activities/{exempt.pk}/notes/new/?kind=non_recording")
    record = services.submit_note(exempt, {"kind": "non_recording", "reason": "emergency", "explanation":
                                           "现场发生冲突，情况紧急，未能开启执法记录仪", "basis": "005/5/(二)"},
                                  [], actor=person, participant_ids={person.pk})
    assert (record.gap_start, record.gap_end) == (START, END)  # the whole activity went unrecorded
    assert open_findings(exempt)["not_recorded"].params["note_state"] == "submitted"  # not until it is filed
    services.decide_note(record, approve=True, comment="", actor=head)
    assert "not_recorded" not in open_findings(exempt)
    assert "not_recorded" in open_findings(flagged)  # the one without a work record stays a finding
    event = Event.objects.get(verb="note.submit")
    assert event.after["kind"] == "non_recording" and event.after["reason"] == "emergency"


def test_005_5_only_the_grounds_of_the_rulebook_and_only_the_head_decide(jiaxian):
    person = officer(jiaxian)
    made = activity(jiaxian, person, "complaint_handling", "inspection")
    with pytest.raises(ValidationError) as caught:
        services.submit_note(made, {"kind": "non_recording", "reason": "weather", "explanation": "下雨",
                                    "basis": "x"}, [], actor=person, participant_ids={person.pk})
    assert "reason" in caught.value.message_dict
    record = services.submit_note(made, {"kind": "non_recording", "reason": "objective_reasons",
                                         "explanation": "设备遗失", "basis": "005/5/(三)"}, [], actor=person,
                                  participant_ids={person.pk})
    for stranger in (UserFactory(agency=jiaxian, roles=(Role.ARCHIVIST,)), person):
        with pytest.raises(PermissionError):
            services.decide_note(record, approve=True, comment="", actor=stranger)
    services.refresh([made.pk])
    assert "not_recorded" in open_findings(made)


def test_005_5_a_confidential_case_still_needs_the_work_record(jiaxian):
    """The article asks for the work record in every case: the case's privacy mark alone exempts nothing."""
    person = officer(jiaxian)
    case = CaseFactory(agency=jiaxian, personal_privacy=True, handlers=[person])
    made = activity(jiaxian, person, "investigation_and_service", "penalty", case=case)
    services.refresh([made.pk])
    assert "not_recorded" in open_findings(made)


def test_005_5_the_officer_writes_the_work_record_from_the_finding_and_the_head_files_it(client, jiaxian):
    person, head = officer(jiaxian), UserFactory(agency=jiaxian, roles=(Role.HEAD,))
    made = activity(jiaxian, person, "daily_inspection", "inspection")
    services.refresh([made.pk])
    login(client, person)
    form = client.get(f"/activities/{made.pk}/notes/new/?kind=non_recording").content.decode()
    assert "情况紧急，不能进行执法记录的" in form and "《郏县民族宗教局行政执法音像记录管理制度》第五条" in form
    assert "设备故障" not in form  # the interruption reasons of other rulebooks are not offered
    response = client.post(f"/activities/{made.pk}/notes/new/?kind=non_recording", {
        "reason": "secrecy", "explanation": "检查涉及宗教活动场所人员个人隐私", "basis": "005/5/(一)"})
    record = InterruptionNote.objects.get()
    assert response.status_code == 302 and record.kind == "non_recording"
    login(client, head)
    client.post(f"/compliance/notes/{record.pk}/", {"decision": "approve", "review_comment": ""})
    assert "not_recorded" not in open_findings(made)


@pytest.fixture
def centre(jiaxian):
    return (Unit.objects.create(agency=jiaxian, name="县民族宗教事务中心"),
            Unit.objects.create(agency=jiaxian, name="执法股"))


def test_005_6_the_centres_device_keeper_hands_out_only_the_centres_recorders(client, jiaxian, centre):
    ours, theirs = centre
    keeper = UserFactory(agency=jiaxian, unit=ours, roles=(Role.DEVICE_KEEPER, Role.OFFICER))
    other_keeper = UserFactory(agency=jiaxian, unit=theirs, roles=(Role.DEVICE_KEEPER, Role.OFFICER))
    archivist = UserFactory(agency=jiaxian, unit=theirs, roles=(Role.ARCHIVIST,))
    head = UserFactory(agency=jiaxian, roles=(Role.HEAD,))
    person = officer(jiaxian)
    kept = DeviceFactory(agency=jiaxian, unit=ours)
    elsewhere = DeviceFactory(agency=jiaxian, unit=theirs)
    devices.hand_out(kept, person, actor=keeper, purpose="日常执法检查")
    devices.take_back(kept, actor=keeper)
    for actor, device in ((keeper, elsewhere), (other_keeper, elsewhere), (archivist, kept)):
        with pytest.raises(PermissionError):
            devices.hand_out(device, person, actor=actor, purpose="检查")
    devices.hand_out(elsewhere, person, actor=head, purpose="检查")  # the head keeps oversight of every device
    login(client, keeper)
    refused = client.post(f"/devices/{elsewhere.pk}/", {"action": "take_back", "note": ""})
    assert refused.status_code == 403
    assert Event.objects.filter(verb="device.take_back", result="denied", actor=keeper).exists()


# --- 006 焦作市司法局 ----------------------------------------------------------------------------------------


@pytest.fixture
def jiaozuo():
    return AgencyFactory(code="jiaozuo-justice", name="焦作市司法局", pack_code="jiaozuo_justice")


def test_006_every_row_keeps_its_records_permanently_and_nothing_else_is_given_a_term(jiaozuo):
    person = officer(jiaozuo)
    made = activity(jiaozuo, person, "on_site_inspection", "inspection")
    linked = clip(made, person, START, END)
    loose = RecordFactory(agency=jiaozuo, officer=person, recorded_start=START, recorded_end=END)
    refresh_retention([linked.pk, loose.pk])
    kept = Schedule.objects.get(record=linked)
    assert kept.permanent and kept.retain_until is None and kept.cites == "006/1"
    unset = Schedule.objects.get(record=loose)
    assert not unset.permanent and unset.retain_until is None
    assert unset.pending == "no retention rule of the pack applies"  # never due for purge


def test_006_7_recording_runs_from_drafting_the_record_to_the_partys_signature(jiaozuo):
    """Only the stretch between the marked moments must be recorded: the rest of the activity is legitimately not."""
    person = officer(jiaozuo)
    moments = {"document_drafting_started": (START + minutes(30)).isoformat(),
               "party_signed": (START + minutes(60)).isoformat()}
    exempt = activity(jiaozuo, person, "on_site_record_making", "inspection", moments=moments)
    clip(exempt, person, START + minutes(29), START + minutes(61))
    short = activity(jiaozuo, person, "on_site_record_making", "inspection", moments=moments)
    clip(short, person, START + minutes(29), START + minutes(45))
    services.refresh([exempt.pk, short.pk])
    assert open_findings(exempt) == {}
    early_stop = open_findings(short)["end_not_covered"]
    assert early_stop.params["moment"] == "当事人签字结束" and early_stop.cites == "006/7"
    assert early_stop.params["to"] == (START + minutes(60)).isoformat()


def test_006_7_unmarked_moments_fall_back_to_the_activity_and_say_so(jiaozuo):
    person = officer(jiaozuo)
    made = activity(jiaozuo, person, "on_site_record_making", "penalty")
    clip(made, person, START + minutes(29), START + minutes(61))
    services.refresh([made.pk])
    found = open_findings(made)
    assert {"start_not_covered", "end_not_covered"} <= set(found)
    assert found["end_not_covered"].params["unmarked"] == ["制作文书开始", "当事人签字结束"]


def test_006_the_officer_marks_the_moments_on_the_activity_form(client, jiaozuo):
    person = officer(jiaozuo)
    login(client, person)
    form = client.get("/activities/new/").content.decode()
    assert "当事人签字结束" in form and "制作文书开始" in form
    day = "2026-11-02T"
    response = client.post("/activities/new/", {
        "category": "inspection", "stage": "on_site_record_making", "place": "某律师事务所",
        "planned_start": day + "09:00", "planned_end": day + "11:00", "actual_start": day + "09:00",
        "actual_end": day + "11:00", "description": "", "officers": [person.pk],
        "moment_document_drafting_started": day + "09:30", "moment_party_signed": day + "12:30"})
    assert "必须在执法活动实际开始与结束之间" in response.content.decode()  # a moment outside the activity
    response = client.post("/activities/new/", {
        "category": "inspection", "stage": "on_site_record_making", "place": "某律师事务所",
        "planned_start": day + "09:00", "planned_end": day + "11:00", "actual_start": day + "09:00",
        "actual_end": day + "11:00", "description": "", "officers": [person.pk],
        "moment_document_drafting_started": day + "09:30", "moment_party_signed": day + "10:00"})
    assert response.status_code == 302
    made = jiaozuo.activities.get()
    assert set(made.moments) == {"document_drafting_started", "party_signed"}
    page = client.get(f"/activities/{made.pk}/").content.decode()
    assert "当事人签字结束 2026-11-02 10:00" in page


def test_006_topics_the_list_does_not_regulate_are_shown_as_such_and_not_checked(client, jiaozuo):
    person = officer(jiaozuo)
    made = activity(jiaozuo, person, "investigation", "penalty")
    clip(made, person, START, END, late=False)
    services.refresh([made.pk])
    assert open_findings(made) == {}  # no deadline, no device rule, no subject rule to judge by
    login(client, person)
    page = client.get("/rules/").content.decode()
    assert page.count("本机关制度未规定此项，系统不对此作出检查。") >= 8
    assert "《焦作市司法局音像记录事项清单》第7项" in page


# --- 007 四平市自然资源局 -------------------------------------------------------------------------------------


@pytest.fixture
def siping():
    return AgencyFactory(code="siping-natural-resources", name="四平市自然资源局",
                         pack_code="siping_natural_resources")


def test_007_4_an_activity_touching_major_property_rights_is_recorded_without_a_break(siping):
    person = officer(siping)
    property_ = activity(siping, person, "on_site_enforcement", "compulsion", properties=["major_property"])
    ordinary = activity(siping, person, "on_site_enforcement", "compulsion")
    for made in (property_, ordinary):  # the same one-minute break in both
        clip(made, person, START, START + minutes(50))
        clip(made, person, START + minutes(51), END)
    services.refresh([property_.pk, ordinary.pk])
    gap = open_findings(property_)["gap"]
    assert gap.severity == "high" and gap.params["uninterrupted"] and gap.cites == "007/4"
    assert open_findings(ordinary) == {}  # a short break is tolerated where the rule does not apply


def test_007_4_the_activity_form_asks_the_three_questions(client, siping):
    person = officer(siping)
    login(client, person)
    form = client.get("/activities/new/").content.decode()
    for question in ("该现场执法活动是否直接涉及人身自由？", "该现场执法活动是否直接涉及生命健康？",
                     "该现场执法活动是否直接涉及重大财产权益？"):
        assert question in form
    day = "2026-11-02T"
    client.post("/activities/new/", {
        "category": "compulsion", "stage": "on_site_enforcement", "place": "某采砂场", "planned_start": day + "09:00",
        "planned_end": day + "11:00", "actual_start": "", "actual_end": "", "description": "",
        "officers": [person.pk], "property_life_or_health": "on"})
    made = siping.activities.get()
    assert made.properties == ["life_or_health"]
    page = client.get(f"/activities/{made.pk}/").content.decode()
    assert "直接涉及生命健康" in page and "全过程无间断音像记录" in page
