"""Compliance and devices through the web: notes, decisions, dashboards, the device ledger, query counts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from authz.roles import Role
from compliance import services
from compliance.models import Finding, InterruptionNote
from devices import services as devices
from devices.models import Device
from tests.conftest import login
from tests.factories import ActivityFactory, AgencyFactory, DeviceFactory, RecordFactory, UserFactory, officer

TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
END = START + dt.timedelta(hours=2)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@pytest.fixture
def lushan(db):
    return AgencyFactory()


def interrupted_activity(agency, person):
    activity = ActivityFactory(agency=agency, stage="on_site_enforcement", category="inspection",
                               planned_start=START, planned_end=END, officers=[person])
    RecordFactory(agency=agency, activity=activity, officer=person, recorded_start=START,
                  recorded_end=START + minutes(50))
    RecordFactory(agency=agency, activity=activity, officer=person, recorded_start=START + minutes(70),
                  recorded_end=END)
    RecordFactory(agency=agency, activity=activity, officer=person, kind="photo", recorded_start=START,
                  recorded_end=START)
    services.refresh([activity.pk])
    return activity


@pytest.mark.django_db
def test_000_2_12_officer_writes_a_note_from_the_finding_and_the_head_files_it(client, lushan):
    person = officer(lushan)
    head = UserFactory(agency=lushan, roles=(Role.HEAD,))
    activity = interrupted_activity(lushan, person)
    login(client, person)
    page = client.get(reverse("activity_detail", args=[activity.pk])).content.decode()
    assert "录制中断" in page and "000/2/12" in page
    gap = Finding.objects.get(activity=activity, rule="gap")
    from compliance.labels import fix_url

    form_url = fix_url(gap)
    form = client.get(form_url)
    assert form.status_code == 200 and "设备故障" in form.content.decode()
    refused = client.post(form_url, {"reason": "device_fault", "gap_start": "2026-11-02T09:50:00",
                                     "gap_end": "2026-11-02T09:40:00", "explanation": "x", "basis": "y"})
    assert refused.status_code == 200 and not InterruptionNote.objects.exists()
    assert "恢复" in refused.content.decode()
    client.post(form_url, {"reason": "device_fault", "gap_start": "2026-11-02T09:50:00",
                           "gap_end": "2026-11-02T10:10:00", "explanation": "电池耗尽", "basis": "电量不足"})
    note = InterruptionNote.objects.get()
    assert client.post(reverse("note_detail", args=[note.pk]), {"decision": "approve"}).status_code == 403
    login(client, head)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert reverse("note_detail", args=[note.pk]) in dashboard
    client.post(reverse("note_detail", args=[note.pk]), {"decision": "approve", "review_comment": "同意"})
    note.refresh_from_db()
    assert note.state == InterruptionNote.State.APPROVED
    assert not Finding.objects.filter(activity=activity, rule="gap", closed_at=None).exists()
    pdf = client.get(reverse("note_pdf", args=[note.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_supervisor_rates_link_to_their_findings_and_officers_cannot_open_them(client, lushan):
    person = officer(lushan)
    supervisor = UserFactory(agency=lushan, roles=(Role.SUPERVISOR,))
    activity = interrupted_activity(lushan, person)
    login(client, supervisor)
    page = client.get(reverse("compliance_overview")).content.decode()
    assert "echarts.min.js" in page and "0.0%" in page
    assert reverse("finding_list") + "?rule=gap" in page
    listing = client.get(reverse("finding_list"), {"rule": "gap"}).content.decode()
    assert reverse("activity_detail", args=[activity.pk]) in listing
    login(client, person)
    assert client.get(reverse("compliance_overview")).status_code == 403
    other = officer(lushan)
    login(client, other)
    assert reverse("activity_detail", args=[activity.pk]) not in client.get(reverse("finding_list")).content.decode()


@pytest.mark.django_db
def test_000_2_4_hand_over_check_and_usage_ledger_as_pdf_and_xlsx(client, lushan):
    import openpyxl

    keeper = UserFactory(agency=lushan, roles=(Role.ARCHIVIST,))
    person = officer(lushan, full_name="张执法", staff_number="0101")
    device = DeviceFactory(agency=lushan)
    login(client, keeper)
    url = reverse("device_detail", args=[device.pk])
    checks = {f"check_{i}": "on" for i, _l, _c in devices.check_items(lushan)}
    with time_machine.travel(START, tick=False):
        response = client.post(url, {"action": "hand_out", "holder": person.pk, "purpose": "日常巡查", **checks})
    assert response.status_code == 302
    hand_over = device.hand_overs.get()
    assert hand_over.holder == person and device.checks.get().passed
    RecordFactory(agency=lushan, device=device, officer=person, recorded_start=START + minutes(5),
                  recorded_end=START + minutes(35))
    with time_machine.travel(END, tick=False):
        login(client, keeper)  # sessions expire after the configured idle time
        assert client.post(url, {"action": "take_back", "note": "完好"}).status_code == 302
    today = START.date().isoformat()
    login(client, keeper)  # the session of the travelled requests expired on return to the present
    response = client.get(reverse("device_usage_ledger"), {"start": today, "end": today})
    assert response.status_code == 200, response
    ledger = response.content.decode()
    assert "张执法 (0101)" in ledger and "日常巡查" in ledger and "30 分钟" in ledger
    sheet = client.get(reverse("device_usage_ledger"), {"start": today, "end": today, "format": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert any(row[1] == "张执法 (0101)" and row[7] == "完好" for row in rows), rows
    pdf = client.get(reverse("device_usage_ledger"), {"start": today, "end": today, "format": "pdf"})
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_004_21_a_faulty_device_is_not_handed_out_until_repaired(client, lushan):
    keeper = UserFactory(agency=lushan, roles=(Role.ARCHIVIST,))
    person = officer(lushan)
    device = DeviceFactory(agency=lushan)
    login(client, person)
    url = reverse("device_detail", args=[device.pk])
    client.post(url, {"action": "fault", "description": "开机无反应"})
    device.refresh_from_db()
    assert device.status == Device.Status.FAULTY
    assert client.post(url, {"action": "repair", "repairer": "自己修"}).status_code == 403
    login(client, keeper)
    with pytest.raises(Exception, match="修复"):
        devices.hand_out(device, person, actor=keeper, purpose="巡查")
    refused = client.post(url, {"action": "repair", "repairer": ""})
    assert "专业" in refused.content.decode()
    client.post(url, {"action": "repair", "repairer": "海康威视平顶山售后服务中心"})
    client.post(url, {"action": "close_fault", "repaired": "1", "outcome": "更换电源板"})
    device.refresh_from_db()
    assert device.status == Device.Status.IN_SERVICE
    assert devices.hand_out(device, person, actor=keeper, purpose="巡查").holder == person


@pytest.mark.django_db
def test_000_2_18_devices_are_not_lent_outside_the_agency(lushan):
    keeper = UserFactory(agency=lushan, roles=(Role.ARCHIVIST,))
    stranger = officer(AgencyFactory(code="elsewhere", name="外单位", pack_code="lushan_finance"))
    with pytest.raises(Exception, match="本单位以外"):
        devices.hand_out(DeviceFactory(agency=lushan), stranger, actor=keeper, purpose="借用")


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_list_and_dashboard_queries_do_not_grow_with_rows(client, lushan):
    person = officer(lushan)
    keeper = UserFactory(agency=lushan, roles=(Role.ARCHIVIST, Role.SUPERVISOR, Role.HEAD, Role.OFFICER))
    device = DeviceFactory(agency=lushan)
    login(client, keeper)
    today = dt.date.today().isoformat()
    pages = [(reverse("finding_list"), None), (reverse("compliance_overview"), None), (reverse("note_list"), None),
             (reverse("dashboard"), None), (reverse("device_usage_ledger"), {"start": today, "end": today})]

    def grow():
        activity = interrupted_activity(lushan, person)
        InterruptionNote.objects.create(agency=lushan, activity=activity, author=person, reason="weather",
                                        reason_label="天气", reason_cites="000/2/12", explanation="x", basis="y",
                                        gap_start=START, gap_end=END, submitted_at=START, pack_version=1)
        devices.hand_out(device, person, actor=keeper, purpose="巡查")
        devices.take_back(device, actor=keeper)

    grow()
    before = [_queries(client, url, params) for url, params in pages]
    for _ in range(3):
        grow()
    after = [_queries(client, url, params) for url, params in pages]
    assert before == after


@pytest.mark.django_db
def test_000_2_2_archivist_registers_a_device_of_a_kind_the_pack_lists(client, lushan):
    keeper = UserFactory(agency=lushan, roles=(Role.ARCHIVIST,))
    login(client, keeper)
    url = reverse("device_list")
    refused = client.post(url, {"kind": "drone", "brand": "大疆", "model": "M3", "serial": "X1"})
    assert refused.status_code == 200 and not Device.objects.exists()
    done = client.post(url, {"kind": "body_camera", "brand": "海康威视", "model": "DSJ-A8", "serial": "LS-0001"})
    device = Device.objects.get()
    assert done.url == reverse("device_detail", args=[device.pk])
    login(client, officer(lushan))
    assert client.post(url, {"kind": "body_camera", "brand": "a", "model": "b", "serial": "c"}).status_code == 403
