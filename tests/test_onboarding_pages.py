"""The system administrator's pages for agencies, units, accounts, certificates and the two imports; the dashboard's
certificate reminders (004/7-8); the Chinese error pages an installation shows with debug off."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from authz.roles import Role
from devices import imports as device_imports
from devices.models import Device
from ledger.models import Event
from org.models import Agency, Unit, User
from org.services import create_unit
from tests.conftest import login
from tests.factories import AgencyFactory, QualificationFactory, UserFactory, officer
from tests.onboarding_files import twenty_staff_with_two_bad_rows, xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
DEVICE_HEADER = ["序列号", "品牌", "型号", "单位", "保管人"]


@pytest.fixture
def sysadmin(agency):
    return UserFactory(agency=agency, roles=(Role.SYSTEM_ADMIN,))


def test_an_agency_is_added_with_its_pack_and_units_form_a_tree(agency, sysadmin, client):
    login(client, sysadmin)
    response = client.post("/org/agencies/", {"code": "yexian-finance", "name": "叶县财政局",
                                              "pack_code": "lushan_finance", "account_prefix": "yx-"})
    added = Agency.objects.get(code="yexian-finance")
    assert response["Location"] == f"/org/agencies/{added.pk}/" and added.hosted_by == agency
    client.post(f"/org/agencies/{added.pk}/units/", {"unit-name": "执法大队", "unit-kind": "brigade"})
    brigade = Unit.objects.get(name="执法大队")
    client.post(f"/org/agencies/{added.pk}/units/", {"unit-name": "一中队", "unit-kind": "section",
                                                     "unit-parent": brigade.pk})
    squad = Unit.objects.get(name="一中队")
    assert squad.parent == brigade
    page = client.get(f"/org/agencies/{added.pk}/").content.decode()
    assert page.index("执法大队") < page.index("└ 一中队")
    # A unit cannot be moved under its own sub-unit.
    response = client.post(f"/org/units/{brigade.pk}/", {"name": "执法大队", "kind": "brigade", "parent": squad.pk})
    assert "不能隶属于自身或其下级单位" in response.content.decode()
    assert Unit.objects.get(pk=brigade.pk).parent is None
    assert Event.objects.filter(verb="unit.create", actor=sysadmin).count() == 2
    # The same code twice is refused with the field's reason.
    response = client.post("/org/agencies/", {"code": "yexian-finance", "name": "重复", "pack_code": "lushan_finance"})
    assert response.status_code == 200 and Agency.objects.filter(code="yexian-finance").count() == 1


def test_the_pack_changes_only_before_the_agency_starts_working(agency, sysadmin, client):
    from cases.models import Case  # noqa: F401  (a case is work under the pack)
    from tests.factories import CaseFactory

    login(client, sysadmin)
    data = {"name": agency.name, "pack_code": "xinzhou_finance", "account_prefix": ""}
    client.post(f"/org/agencies/{agency.pk}/", data)
    assert Agency.objects.get(pk=agency.pk).pack_code == "xinzhou_finance"
    from django.db import transaction

    from ledger.events import record_event

    with transaction.atomic():
        record_event("case.create", obj=CaseFactory(agency=agency), agency_code=agency.code)
    response = client.post(f"/org/agencies/{agency.pk}/", {**data, "pack_code": "lushan_finance"})
    assert "启用制度包的新版本" in response.content.decode()
    assert Agency.objects.get(pk=agency.pk).pack_code == "xinzhou_finance"


def test_a_new_account_gets_a_one_time_password_and_its_roles_are_asked_for(agency, sysadmin, client):
    unit = create_unit(agency, name="执法一中队")
    login(client, sysadmin)
    response = client.post("/org/staff/new/", {"agency": agency.pk, "full_name": "韩立", "staff_number": "0042",
                                                "unit": unit.pk, "phone": "13912345678", "roles": [Role.OFFICER]})
    page = response.content.decode()
    person = User.objects.get(staff_number="0042")
    password = page.split('class="mono password">')[1].split("<")[0]
    assert person.check_password(password) and person.must_change_password
    assert person.username == f"{agency.code}-0042"  # no prefix: the agency's code stands in
    assert not person.role_grants.exists() and person.role_requests.get().role == Role.OFFICER


def test_004_7_a_certificate_already_expired_is_refused_on_the_page(agency, sysadmin, client):
    person = UserFactory(agency=agency)
    login(client, sysadmin)
    response = client.post(f"/org/staff/{person.pk}/certificates/new/", {
        "kind": "enforcement", "certificate_number": "豫ZF1", "issuer": "河南省人民政府",
        "valid_from": "2020-01-01", "valid_until": (timezone.localdate() - dt.timedelta(days=1)).isoformat()})
    assert "004/7-8" in response.content.decode() and not person.qualifications.exists()


def test_004_7_an_expired_certificate_ends_being_a_recording_subject(db):
    from django.core.exceptions import ValidationError

    from cases.services import create_activity

    # Where the pack makes qualified officers the recording subjects (004/7-8, xinzhou_finance's subject_rule).
    agency = AgencyFactory(code="xinzhou-finance", name="忻州市财政局", pack_code="xinzhou_finance")
    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    QualificationFactory(user=person, valid_from=dt.date(2020, 1, 1), valid_until=timezone.localdate()
                         - dt.timedelta(days=1))
    start = timezone.now() + dt.timedelta(hours=1)
    with pytest.raises(ValidationError, match="有效行政执法资格") as refused:
        create_activity(agency, {"category": "inspection", "stage": "daily_patrol", "place": "某地",
                                 "planned_start": start, "planned_end": start + dt.timedelta(hours=1)},
                        [person], [], actor=person)
    assert set(refused.value.message_dict) == {"officers"}  # refused for the certificate alone


def test_dashboards_remind_of_certificates_ending_within_30_days(agency, sysadmin):
    soon = officer(agency, full_name="冯桂芳")
    soon.qualifications.update(valid_until=timezone.localdate() + dt.timedelta(days=12))
    lapsed = officer(agency, full_name="韩明辉")
    lapsed.qualifications.update(valid_until=timezone.localdate() - dt.timedelta(days=2))
    head = UserFactory(agency=agency, roles=(Role.HEAD,))
    mine = login(Client(), soon).get("/").content.decode()
    assert "我的执法证件" in mine and "还有 12 天" in mine
    for reader in (head, sysadmin):
        page = login(Client(), reader).get("/").content.decode()
        assert "冯桂芳：执法证" in page and "韩明辉：没有有效的执法证件" in page


def test_the_import_page_previews_then_confirms_and_shows_passwords_once(agency, sysadmin, client):
    create_unit(agency, name="执法一中队")
    create_unit(agency, name="法制室")
    login(client, sysadmin)
    upload = SimpleUploadedFile("名单.xlsx", xlsx(twenty_staff_with_two_bad_rows()))
    preview = client.post("/org/staff/import/", {"file": upload, "agency": agency.pk, "issuer": ""})
    assert "尚未保存任何内容" in preview.content.decode() and not User.objects.filter(staff_number="410003").exists()
    done = client.post("/org/staff/import/confirm/")
    assert done.content.decode().count('class="mono password"') == 18
    again = client.post("/org/staff/import/confirm/", follow=True)  # the file is gone: nothing is done twice
    assert "请重新上传" in again.content.decode()
    assert User.objects.filter(agency=agency).count() == 19
    bad = client.post("/org/staff/import/", {"file": SimpleUploadedFile("x.xlsx", xlsx([["张三"]], header=["姓名"])),
                                             "agency": agency.pk})
    assert "缺少列" in bad.content.decode()


def test_device_register_import_is_idempotent_and_names_each_problem(agency, sysadmin, client):
    unit = create_unit(agency, name="执法一中队")
    keeper = officer(agency, full_name="冯桂芳", staff_number="0007")
    rows = [["DSJ-0001", "海康威视", "DSJ-V7", "执法一中队", "0007"],
            ["DSJ-0002", "大华", "DSJ-K8", "执法一中队", "冯桂芳"],
            ["DSJ-0003", "华德安", "DSJ-T9", "后勤科", "0007"],
            ["DSJ-0004", "海康威视", "DSJ-V7", "执法一中队", "查无此人"],
            ["DSJ-0001", "海康威视", "DSJ-V7", "执法一中队", "0007"]]
    plan = device_imports.apply(device_imports.plan(agency, "台账.xlsx", xlsx(rows, header=DEVICE_HEADER)),
                                actor=sysadmin)
    outcomes = [row.outcome for row in plan.rows]
    assert outcomes == ["refuse", "create", "refuse", "refuse", "refuse"]  # DSJ-0001 twice in the file
    reasons = {row.line: "；".join(str(r) for r in row.reasons) for row in plan.rows}
    assert "后勤科" in reasons[4] and "查无此人" in reasons[5] and "2、6" in reasons[2]
    device = Device.objects.get(serial="DSJ-0002")
    assert device.keeper == keeper and device.unit == unit
    again = device_imports.plan(agency, "台账.xlsx", xlsx(rows[1:2], header=DEVICE_HEADER))
    assert [row.outcome for row in again.rows] == ["unchanged"]
    corrected = [["DSJ-0002", "大华", "DSJ-K8", "执法一中队", "0007"], rows[0]]
    moved = device_imports.apply(device_imports.plan(agency, "台账.xlsx", xlsx(corrected, header=DEVICE_HEADER)),
                                 actor=sysadmin)
    assert [row.outcome for row in moved.rows] == ["unchanged", "create"]
    assert Event.objects.filter(verb="device.import").count() == 2
    # Through the page, and only for those who keep the register.
    login(client, UserFactory(agency=agency, roles=(Role.OFFICER,)))
    assert client.get("/devices/import/").status_code == 403
    login(client, sysadmin)
    preview = client.post("/devices/import/", {"file": SimpleUploadedFile("台账.csv", "序列号,品牌,型号,单位,保管人\n"
                                                                          "DSJ-0009,大华,DSJ-K8,执法一中队,0007\n"
                                                                          .encode("gb18030"))})
    assert "新登记" in preview.content.decode()
    client.post("/devices/import/confirm/")
    assert Device.objects.filter(serial="DSJ-0009", keeper=keeper).exists()


def test_with_debug_off_errors_are_chinese_pages(agency, client, settings):
    settings.DEBUG = False
    login(client, UserFactory(agency=agency, roles=(Role.OFFICER,)))
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404 and "该页面或记录不存在" in missing.content.decode()
    from django.test import override_settings

    with override_settings(ROOT_URLCONF="tests.broken_urls"):
        broken = Client(raise_request_exception=False)
        broken.force_login(UserFactory(agency=agency, roles=(Role.OFFICER,)))
        response = broken.get("/broken/")
    assert response.status_code == 500 and "出错" in response.content.decode()


def test_the_demo_runs_as_an_installation_does(db, settings, tmp_path):
    """make demo: debug off, static files collected and served by WhiteNoise, gunicorn with the deploy/ settings."""
    script = (Path(__file__).resolve().parent.parent / "scripts" / "demo.sh").read_text(encoding="utf-8")
    assert 'LAWTRACE_DEBUG=${LAWTRACE_DEBUG:-false}' in script
    assert "gunicorn --config deploy/gunicorn.conf.py lawtrace.wsgi:application" in script
    assert "collectstatic" in script and "runserver" not in script
    settings.DEBUG = False
    settings.WHITENOISE_USE_FINDERS = False
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", verbosity=0)
    response = Client().get("/static/lawtrace.js")
    assert response.status_code == 200
    assert b"addEventListener" in b"".join(response.streaming_content)


def test_demo_agencies_have_their_own_people_and_places():
    from lawtrace import demo

    names = [name for spec in demo.AGENCIES for name in spec["names"]]
    assert len(names) == len(set(names))
    counties = {"lushan-finance": "鲁山县", "pingdingshan-emergency": "高新区", "ruzhou-water": "汝州市",
                "xinzhou-finance": "忻州"}
    for spec in demo.AGENCIES:
        assert all(counties[spec["code"]] in place for place in spec["places"])
