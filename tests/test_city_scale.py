"""City scale (issue 27): printed registers never cut silently, dashboards and lists whose query count does not grow
with the rows, the evidence list's filters, retention rebuilt in bulk."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from authz.roles import Role
from ledger.events import append_events
from ledger.models import Event
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


def views(agency, count: int, *, start: int = 0) -> None:
    """``count`` done record.view events of the agency, in one append (what the register reads)."""
    with transaction.atomic():
        append_events([Event(verb="record.view", agency_code=agency.code, result="done", object_type="evidence.record",
                             object_id=str(start + n), object_label=f"执法记录仪视频{start + n:05d}.mp4",
                             actor_label="档案员", detail={}) for n in range(count)])


@pytest.fixture
def archivist_client(client):
    agency = AgencyFactory()
    client.force_login(UserFactory(agency=agency, roles=(Role.ARCHIVIST,)))
    return client, agency


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_000_1_3_a_register_longer_than_a_printed_one_may_hold_is_refused_with_its_count(archivist_client, settings):
    client, agency = archivist_client
    settings.PRINTED_DOCUMENT_MAX_ROWS = 5  # (over PRINTED_REGISTER_ROWS, below this, a job makes it: test_printing)
    views(agency, 7)
    response = client.get("/access/register/", {"format": "pdf"}, follow=True)
    assert response["Content-Type"].startswith("text/html")
    shown = [str(m) for m in response.context["messages"]]
    assert any("7" in m and "5" in m and "xlsx" in m for m in shown), shown
    assert response.redirect_chain[-1][0] == "/access/register/?"  # the page without the refused format
    settings.PRINTED_DOCUMENT_MAX_ROWS = 7
    printed = client.get("/access/register/", {"format": "pdf"})
    assert printed["Content-Type"] == "application/pdf"
    text = pdf_text(printed.content)
    assert "共 7 条" in text and "全部" in text
    assert "执法记录仪视频00000.mp4" in text and "执法记录仪视频00006.mp4" in text


def test_000_1_3_the_register_export_without_a_period_covers_every_entry_and_says_how_many(archivist_client,
                                                                                           monkeypatch, settings):
    from access import register

    client, agency = archivist_client
    monkeypatch.setattr(register, "EXPORT_BATCH", 3)  # several batches, each seeking past the last
    views(agency, 11)
    response = client.get("/access/register/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "共 11 条" in sheet["A2"].value and "首条" in sheet["A2"].value
    items = [row[4].value for row in sheet.iter_rows(min_row=4)]
    assert items == [f"执法记录仪视频{n:05d}.mp4" for n in range(11)]  # all of them, oldest first
    settings.ACCESS_REGISTER_EXPORT_LIMIT = 10
    refused = client.get("/access/register/", {"format": "xlsx", "since": "2020-01-01"}, follow=True)
    shown = [str(m) for m in refused.context["messages"]]
    assert any("11" in m and "10" in m for m in shown), shown
    assert refused.redirect_chain[-1][0] == "/access/register/?since=2020-01-01"


def test_000_1_3_a_register_with_a_period_and_a_search_states_both(archivist_client):
    client, agency = archivist_client
    views(agency, 3)
    today = timezone.localdate().isoformat()
    response = client.get("/access/register/", {"format": "xlsx", "since": today, "until": today, "q": "00001"})
    statement = load_workbook(io.BytesIO(response.content)).active["A2"].value
    assert f"{today} ~ {today}" in statement and "共 1 条" in statement and "00001" in statement


def filed(agency, count: int, *, start: int, fixity_ok: bool = True) -> list:
    """``count`` records of the agency whose retention ended yesterday, scheduled by the retention service."""
    from retention import services
    from tests.factories import BlobFactory, RecordFactory

    records = [RecordFactory(agency=agency, blob=BlobFactory(fixity_ok=fixity_ok),
                             original_name=f"clip{start + n:05d}.mp4") for n in range(count)]
    services.refresh([r.pk for r in records])
    from retention.models import Schedule

    Schedule.objects.filter(record__in=records).update(retain_until=timezone.localdate() - dt.timedelta(days=1))
    return records


def shown_panels(client) -> dict:
    return {panel.title: panel for _role, panels in client.get("/").context["sections"] for panel in panels}


def dashboard_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


def test_000_2_15_the_archivists_dashboard_asks_as_many_queries_for_many_records_as_for_few(archivist_client):
    from retention.models import PurgeProposal

    client, agency = archivist_client
    filed(agency, 2, start=0)
    filed(agency, 1, start=2, fixity_ok=False)
    few = dashboard_queries(client)
    more = filed(agency, 12, start=10) + filed(agency, 4, start=30, fixity_ok=False)
    proposer = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))
    for record in more[:3]:
        PurgeProposal.objects.create(agency=agency, record=record, reason="无保存价值", proposed_by=proposer,
                                     proposed_at=timezone.now())
    assert dashboard_queries(client) == few
    panels = shown_panels(client)
    retention = [row.text for row in panels["保存期限"].rows]
    assert retention[0].endswith("：16") and retention[2].endswith("：3"), retention  # 19 due, 3 proposed
    assert len(panels["固定性告警：内容被改动或缺失的原始文件"].rows) == 5


def test_000_2_15_counts_on_the_dashboard_go_through_the_choke_point(client):
    agency = AgencyFactory()
    other = AgencyFactory(code="ruzhou-water", name="汝州市水利局", pack_code="ruzhou_water")
    filed(other, 3, start=0, fixity_ok=False)
    from evidence.models import Record
    from policy.vocabulary import ConfidentialityMark

    marked, _plain = filed(agency, 2, start=5, fixity_ok=False)
    Record.objects.filter(pk=marked.pk).update(confidentiality=ConfidentialityMark.values[0])
    client.force_login(UserFactory(agency=agency, roles=(Role.ARCHIVIST,)))  # not cleared for the mark
    panels = shown_panels(client)
    assert [row.text for row in panels["保存期限"].rows][0].endswith("：1")
    assert len(panels["固定性告警：内容被改动或缺失的原始文件"].rows) == 1


def test_the_last_pages_of_a_long_list_are_read_from_the_end_and_hold_the_same_rows(archivist_client, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import RecordFactory

    client, agency = archivist_client
    settings.PAGE_SIZE = 5
    records = [RecordFactory(agency=agency, original_name=f"clip{n:05d}.mp4") for n in range(23)]
    expected = [r.pk for r in sorted(records, key=lambda r: (r.stored_at, r.pk), reverse=True)]
    seen = []
    for number in range(1, 6):
        with CaptureQueriesContext(connection) as captured:
            page = client.get("/evidence/", {"page": number}).context["page"]
        seen += [r.pk for r in page.object_list]
        listing = [q["sql"] for q in captured if "OFFSET" in q["sql"].upper() or "LIMIT" in q["sql"].upper()]
        if number >= 4:  # the back half: ascending order, counted from the end
            assert any('ORDER BY "evidence_record"."stored_at" ASC' in sql for sql in listing), listing
    assert seen == expected


def test_the_register_with_a_period_starts_from_its_index_on_postgresql(archivist_client):
    from django.db import connection

    from access import register

    if connection.vendor != "postgresql":
        pytest.skip("the plan asked of PostgreSQL")
    client, agency = archivist_client
    views(agency, 2000)
    with transaction.atomic():
        append_events([Event(verb="record.classify", agency_code="other", result="done", object_type="x",
                             object_id=str(n), object_label="", detail={}) for n in range(3000)])
    since = timezone.now() - dt.timedelta(days=7)
    page = register.register_events(agency.code, since, timezone.now())[:25]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ledger_event")
        # A table this small would be read whole; what is asked is which index the planner starts from. Ordered
        # by the bare key, it walks the primary key, as it did over 1.46 million events.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = page.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ledger_even_agency__c6155e_idx" in plan and "Backward" not in plan, plan


def test_the_evidence_list_filters_by_officer_device_and_recording_days_and_keeps_them_in_its_pages(
        archivist_client, settings):
    from tests.factories import DeviceFactory, RecordFactory, officer

    client, agency = archivist_client
    settings.PAGE_SIZE = 5
    alice, bob = officer(agency), officer(agency)
    camera, other_camera = DeviceFactory(agency=agency), DeviceFactory(agency=agency)
    day = timezone.make_aware(dt.datetime(2026, 11, 3, 10, 0))
    wanted = [RecordFactory(agency=agency, officer=alice, device=camera, recorded_start=day + dt.timedelta(hours=n))
              for n in range(7)]
    RecordFactory(agency=agency, officer=bob, device=camera, recorded_start=day)
    RecordFactory(agency=agency, officer=alice, device=other_camera, recorded_start=day)
    RecordFactory(agency=agency, officer=alice, device=camera, recorded_start=day + dt.timedelta(days=1))
    RecordFactory(agency=agency, officer=alice, device=camera, recorded_start=day - dt.timedelta(days=1))
    asked = {"officer": alice.pk, "device": camera.pk, "recorded_from": "2026-11-03", "recorded_to": "2026-11-03"}
    first = client.get("/evidence/", asked)
    assert first.context["page"].paginator.count == 7
    assert all(f"{name}={value}" in first.context["query"] for name, value in asked.items())
    links = first.content.decode()  # the page links keep every filter
    assert f"officer={alice.pk}&amp;device={camera.pk}" in links and "recorded_to=2026-11-03&amp;page=2" in links
    second = client.get("/evidence/", {**asked, "page": 2})
    shown = [r.pk for r in first.context["page"]] + [r.pk for r in second.context["page"]]
    assert sorted(shown) == sorted(r.pk for r in wanted)
    assert "拍摄日期自" in first.content.decode() and "全部执法人员" in first.content.decode()


def test_the_evidence_list_refuses_a_backwards_period_or_a_stranger_as_officer_with_a_chinese_reason(
        archivist_client):
    from tests.factories import RecordFactory, officer

    client, agency = archivist_client
    RecordFactory(agency=agency)
    backwards = client.get("/evidence/", {"recorded_from": "2026-11-05", "recorded_to": "2026-11-03"})
    assert backwards.context["page"].paginator.count == 0
    assert "拍摄日期的截止日早于起始日。" in backwards.content.decode()
    stranger = officer(AgencyFactory(code="ruzhou-water", name="汝州市水利局", pack_code="ruzhou_water"))
    foreign = client.get("/evidence/", {"officer": stranger.pk})
    assert foreign.context["page"].paginator.count == 0 and foreign.context["filters"].errors["officer"]
    assert client.get("/evidence/", {"recorded_from": "not-a-day"}).context["filters"].errors["recorded_from"]


def test_000_2_15_retention_is_rebuilt_in_bulk_with_as_many_queries_for_many_records_as_for_few(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from retention import services
    from retention.models import Schedule
    from tests.factories import RecordFactory

    agency = AgencyFactory()
    day = timezone.make_aware(dt.datetime(2026, 1, 15, 10, 0))
    few = [RecordFactory(agency=agency, recorded_start=day) for _ in range(3)]
    many = [RecordFactory(agency=agency, recorded_start=day + dt.timedelta(days=n)) for n in range(30)]
    counts = []
    for records in (few, many):
        services.refresh([r.pk for r in records[:1]])  # one already scheduled: updated, the others created
        with CaptureQueriesContext(connection) as captured:
            assert services.refresh([r.pk for r in records]) == len(records)
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    one_at_a_time = {}
    for record in many:
        services.refresh([record.pk])
        one_at_a_time[record.pk] = Schedule.objects.values(*services.SCHEDULE_FIELDS[:-1]).get(record=record)
    Schedule.objects.all().delete()
    assert services.refresh_all(batch=4) == 33
    for record in many:  # the same schedules as record by record; 12 months from the recording day (000/2/15)
        assert Schedule.objects.values(*services.SCHEDULE_FIELDS[:-1]).get(record=record) == one_at_a_time[record.pk]
    assert Schedule.objects.get(record=many[0]).retain_until == dt.date(2027, 1, 15)


def handed_out(agency, count: int):
    """``count`` devices of the agency, each handed out (with passed checks) and taken back by the archivist."""
    from devices import services as devices
    from tests.factories import DeviceFactory, officer

    keeper = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))
    holder = officer(agency)
    made = []
    for _ in range(count):
        device = DeviceFactory(agency=agency)
        results = {item: True for item, _label, _cite in devices.check_items(agency)}
        devices.hand_out(device, holder, actor=keeper, purpose="日常巡查", results=results)
        devices.take_back(device, actor=keeper, note="完好")
        made.append(device)
    return made


def test_000_2_4_the_audit_administrator_sees_neither_the_device_list_nor_its_usage_ledger(client):
    agency = AgencyFactory()
    handed_out(agency, 1)
    client.force_login(UserFactory(agency=agency, roles=(Role.AUDIT_ADMIN,)))
    today = timezone.localdate().isoformat()
    for params in ({}, {"start": today, "end": today}, {"start": today, "end": today, "format": "pdf"},
                   {"start": today, "end": today, "format": "xlsx"}):
        assert client.get("/devices/usage-ledger/", params).status_code == 403, params
    assert client.get("/devices/").status_code == 403
    refused = Event.objects.filter(result="denied", agency_code=agency.code)
    assert refused.count() == 5


def test_000_2_4_the_usage_ledger_shows_the_devices_the_device_list_shows(client, settings):
    from devices import usage_ledger
    from tests.factories import officer

    agency = AgencyFactory()
    devices = handed_out(agency, 3)
    staff = officer(agency)
    day = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    ledger = usage_ledger.rows(staff, start, start + dt.timedelta(days=1))
    client.force_login(staff)
    listed = set(client.get("/devices/").context["page"].object_list)
    assert {row.device_id for row in ledger} == {d.pk for d in listed} == {d.pk for d in devices}
    auditor = UserFactory(agency=agency, roles=(Role.AUDIT_ADMIN,))
    assert usage_ledger.rows(auditor, start, start + dt.timedelta(days=1)) == []  # the same rule, below the page
    settings.PRINTED_DOCUMENT_MAX_ROWS = 2
    refused = client.get("/devices/usage-ledger/", {"start": day, "end": day, "format": "pdf"}, follow=True)
    assert any("3" in str(m) and "2" in str(m) for m in refused.context["messages"])
    sheet = load_workbook(io.BytesIO(client.get("/devices/usage-ledger/", {"start": day, "end": day,
                                                                         "format": "xlsx"}).content)).active
    assert "共 3 次交接" in sheet["A2"].value
