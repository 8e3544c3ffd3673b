import datetime as dt
import re

import pytest
from django.utils import timezone

from authz.roles import Role
from cases.models import Activity, Case
from ledger.models import Event
from org.models import Qualification
from tests.conftest import login
from tests.factories import ActivityFactory, CaseFactory, QualificationFactory, UserFactory, officer

pytestmark = pytest.mark.django_db


def _case_form(handler, **overrides):
    data = {
        "number": "鲁财罚〔2026〕101号", "title": "某公司未按规定使用财政资金案", "category": "penalty",
        "procedure": "general", "party_kind": "organisation", "party_name": "某公司", "party_identifier": "",
        "opened_on": "2026-11-01", "state": "open", "archived_on": "", "handlers": [handler.pk],
    }
    data.update(overrides)
    return data


def _activity_form(officers, assistants=(), **overrides):
    start = timezone.localtime().replace(second=0, microsecond=0)
    data = {
        "category": "inspection", "stage": "on_site_enforcement", "place": "城关镇建设路18号",
        "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
        "planned_end": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "actual_start": "", "actual_end": "", "description": "",
        "officers": [o.pk for o in officers], "assistants": [a.pk for a in assistants],
    }
    data.update(overrides)
    return data


def test_officer_creates_a_case_and_the_event_is_written(client, an_officer):
    login(client, an_officer)
    response = client.post("/cases/new/", _case_form(an_officer, major_penalty="on"))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert case.flags() == {"major_penalty"} and case.pack_version == 1
    event = Event.objects.get(verb="case.create")
    assert event.actor == an_officer and event.after["number"] == "鲁财罚〔2026〕101号"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "永久保管" not in page  # 000 has no case-file tiers; the page says so instead of inventing one
    assert "本机关制度未规定" in page


def test_invalid_case_form_shows_chinese_errors_and_saves_nothing(client, an_officer):
    login(client, an_officer)
    response = client.post("/cases/new/", _case_form(an_officer, number="", state="archived", handlers=[]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "这个字段是必填项。" in page or "该字段是必填项。" in page  # Django's or DRF's catalogue wording
    assert Case.objects.count() == 0 and not Event.objects.filter(verb="case.create").exists()


def test_archived_case_needs_its_archive_date(client, an_officer):
    login(client, an_officer)
    response = client.post("/cases/new/", _case_form(an_officer, state="archived"))
    assert "已归档的案件须填写归档日期。" in response.content.decode()
    assert Case.objects.count() == 0


def test_case_number_is_unique_within_the_agency(client, an_officer):
    CaseFactory(agency=an_officer.agency, number="鲁财罚〔2026〕101号", handlers=[an_officer])
    login(client, an_officer)
    response = client.post("/cases/new/", _case_form(an_officer))
    assert "本机关已有相同编号的案件。" in response.content.decode()


def test_editing_a_case_records_before_and_after(client, an_officer):
    case = CaseFactory(agency=an_officer.agency, handlers=[an_officer])
    login(client, an_officer)
    form = _case_form(an_officer, number=case.number, title=case.title, opened_on=str(case.opened_on),
                      party_name=case.party_name, hearing="on")
    client.post(f"/cases/{case.pk}/edit/", form)
    event = Event.objects.get(verb="case.update")
    assert event.before == {"hearing": False} and event.after == {"hearing": True}


def test_another_agencys_case_is_a_404_like_a_missing_one(client, an_officer, other_agency):
    foreign = CaseFactory(agency=other_agency, handlers=[officer(other_agency)])
    login(client, an_officer)
    foreign_response = client.get(f"/cases/{foreign.pk}/")
    missing_response = client.get("/cases/999999/")
    assert foreign_response.status_code == missing_response.status_code == 404
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub(b"", foreign_response.content) == token.sub(b"", missing_response.content)
    assert client.get(f"/cases/{foreign.pk}/edit/").status_code == 404
    assert foreign.number not in client.get("/cases/").content.decode()


def test_case_list_searches_filters_and_paginates(client, an_officer, settings):
    settings.PAGE_SIZE = 5
    for n in range(12):
        CaseFactory(agency=an_officer.agency, number=f"N-{n:02d}", party_name="甲公司" if n % 2 else "乙个人",
                    state="open" if n < 10 else "closed", handlers=[an_officer])
    login(client, an_officer)
    page = client.get("/cases/", {"q": "甲公司"}).content.decode()
    assert "共 6 条记录" in page and "第 1 页，共 2 页" in page
    assert "共 2 条记录" in client.get("/cases/", {"state": "closed"}).content.decode()
    second = client.get("/cases/", {"q": "甲公司", "page": 2}).content.decode()
    assert "q=%E7%94%B2%E5%85%AC%E5%8F%B8&amp;page=1" in second


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_administrators_see_no_records(client, agency, role):
    CaseFactory(agency=agency, number="ADMIN-HIDDEN", handlers=[officer(agency)])
    admin = UserFactory(agency=agency, roles=(role,))
    login(client, admin)
    assert "ADMIN-HIDDEN" not in client.get("/cases/").content.decode()
    # Administrators hold no capability on cases at all: refused before anything about the case is looked up.
    assert client.get(f"/cases/{Case.objects.get().pk}/").status_code == 403
    assert Event.objects.filter(verb="case.view", result="denied", actor=admin).exists()


def test_read_only_roles_cannot_edit_and_the_attempt_is_an_event(client, agency):
    supervisor = UserFactory(agency=agency, roles=(Role.SUPERVISOR,))
    login(client, supervisor)
    assert client.get("/cases/new/").status_code == 403
    assert Event.objects.filter(verb="case.create", result="denied", actor=supervisor).exists()


def test_officer_records_an_activity(client, an_officer):
    login(client, an_officer)
    response = client.post("/activities/new/", _activity_form([an_officer], dispute_likely="on"))
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert activity.participants.get().user == an_officer and activity.pack_version == 1
    assert Event.objects.get(verb="activity.create").after["officers"] == [str(an_officer.pk)]
    page = client.get(f"/activities/{activity.pk}/").content.decode()
    assert "本次执法活动应当进行音像记录。" in page and "000/2/6" in page


def test_004_7_only_qualified_officers_are_recording_subjects(client, an_officer):
    unqualified = UserFactory(agency=an_officer.agency, roles=(Role.OFFICER,), full_name="无证人员")
    login(client, an_officer)
    response = client.post("/activities/new/", _activity_form([unqualified]))
    assert "只有持有效行政执法资格的人员才能作为执法记录主体：无证人员。" in response.content.decode()
    assert Activity.objects.count() == 0


def test_004_8_assisting_staff_may_only_assist(client, an_officer):
    helper = UserFactory(agency=an_officer.agency, roles=(Role.OFFICER,), full_name="协勤")
    QualificationFactory(user=helper, kind=Qualification.Kind.ASSISTING)
    login(client, an_officer)
    refused = client.post("/activities/new/", _activity_form([helper]))
    assert "只有持有效行政执法资格的人员才能作为执法记录主体：协勤。" in refused.content.decode()
    accepted = client.post("/activities/new/", _activity_form([an_officer], [helper]))
    assert accepted.status_code == 302
    assert Activity.objects.get().participants.get(user=helper).part == "assistant"


def test_expired_qualification_does_not_count(client, an_officer):
    lapsed = UserFactory(agency=an_officer.agency, roles=(Role.OFFICER,))
    QualificationFactory(user=lapsed, valid_from=dt.date(2020, 1, 1), valid_until=dt.date(2021, 1, 1))
    login(client, an_officer)
    response = client.post("/activities/new/", _activity_form([lapsed]))
    assert Activity.objects.count() == 0 and "执法资格" in response.content.decode()


def test_stage_must_come_from_the_agency_checklist_and_match_the_category(client, an_officer):
    login(client, an_officer)
    wrong_category = client.post("/activities/new/", _activity_form([an_officer], category="penalty",
                                                                     stage="hearing", place="x"))
    assert wrong_category.status_code == 302  # 000's hearing row covers penalty
    response = client.post("/activities/new/", _activity_form([an_officer], category="inspection", stage="hearing"))
    assert "该环节不属于所选执法类别。" in response.content.decode()
    foreign_stage = client.post("/activities/new/", _activity_form([an_officer], stage="preservation_release"))
    assert "选择一个有效的选项" in foreign_stage.content.decode()


def test_activity_times_must_be_in_order(client, an_officer):
    login(client, an_officer)
    start = timezone.localtime().replace(second=0, microsecond=0)
    response = client.post("/activities/new/", _activity_form(
        [an_officer], actual_start=start.strftime("%Y-%m-%dT%H:%M"),
        actual_end=(start - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")))
    assert "实际结束时间早于实际开始时间。" in response.content.decode()
    assert Activity.objects.count() == 0


def test_editing_an_activity_records_the_change(client, an_officer):
    activity = ActivityFactory(agency=an_officer.agency, officers=[an_officer])
    login(client, an_officer)
    form = _activity_form([an_officer], place="新地点",
                          planned_start=timezone.localtime(activity.planned_start).strftime("%Y-%m-%dT%H:%M"),
                          planned_end=timezone.localtime(activity.planned_end).strftime("%Y-%m-%dT%H:%M"))
    assert client.post(f"/activities/{activity.pk}/edit/", form).status_code == 302
    event = Event.objects.get(verb="activity.update")
    assert event.before == {"place": "城关镇建设路18号"} and event.after == {"place": "新地点"}
    history = client.get(f"/activities/{activity.pk}/").content.decode()
    assert "修改执法活动" in history and "地点</span>：城关镇建设路18号 → 新地点" in history


def test_001_2_4_activity_page_warns_of_uninterrupted_recording(client, other_agency):
    from tests.factories import AgencyFactory

    emergency = AgencyFactory(code="pingdingshan-emergency", name="应急管理局", pack_code="pingdingshan_emergency")
    user = officer(emergency)
    activity = ActivityFactory(agency=emergency, category="inspection", stage="daily_inspection", major_hazard=True,
                               officers=[user])
    login(client, user)
    page = client.get(f"/activities/{activity.pk}/").content.decode()
    assert "全过程无间断音像记录" in page and "001/2/4" in page


def test_activity_list_filters_mine_and_dates(client, an_officer):
    colleague = officer(an_officer.agency)
    ActivityFactory(agency=an_officer.agency, place="我的地点", officers=[an_officer])
    ActivityFactory(agency=an_officer.agency, place="同事地点", officers=[colleague])
    login(client, an_officer)
    page = client.get("/activities/", {"mine": "1"}).content.decode()
    assert "我的地点" in page and "同事地点" not in page
    assert "共 0 条记录" in client.get("/activities/", {"from": "2999-01-01"}).content.decode()
