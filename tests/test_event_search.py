"""The audit administrator's event search: each filter, keyset paging, ready-made audits, exports that are events
with formulas neutralised, only the auditor's agencies, and a query count that stays flat as the log grows."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from authz.roles import Role
from ledger import search
from ledger.events import append_events
from ledger.models import Event
from tests.conftest import login
from tests.factories import AgencyFactory, RecordFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
BASE = dt.datetime(2026, 5, 11, 2, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in Shanghai


def _events(specs: list[dict]) -> None:
    events = []
    for spec in specs:
        values = {"occurred_at": BASE, "verb": "record.view", "agency_code": "lushan-finance", "result": "done",
                  "object_type": "evidence.record", "object_id": "1", "object_label": "现场检查视频",
                  "actor_label": "", "client_address": "10.1.2.3", "request_id": "r", **spec}
        actor = values.pop("actor", None)
        events.append(Event(actor=actor, actor_label=values.pop("actor_label") or (actor.username if actor else ""),
                            **values))
    with transaction.atomic():
        append_events(events)


@pytest.fixture
def auditor(agency):
    return UserFactory(agency=agency, roles=(Role.AUDIT_ADMIN,), username="auditor")


@pytest.fixture
def officer(agency):
    return UserFactory(agency=agency, roles=(Role.OFFICER,), username="wangjg", full_name="王建国")


def _seqs(client, **params) -> list[int]:
    response = client.get("/ledger/events/", params)
    assert response.status_code == 200
    return [e.seq for e in response.context["page"].events]


def test_each_filter_narrows_the_selection(agency, auditor, officer, client):
    other = UserFactory(agency=agency, roles=(Role.OFFICER,), username="lihm", full_name="李红梅")
    login(client, auditor)
    own_login = Event.objects.get(verb="login", actor=auditor).seq
    # Before the test's own: the agency's first pack version put into force (pack.activate) and the auditor's login.
    before = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    _events([
        {"actor": officer},                                                          # 0
        {"actor": other, "occurred_at": BASE + dt.timedelta(days=3)},                # 1
        {"actor": officer, "verb": "login", "object_type": "org.user", "object_label": "王建国"},  # 2
        {"actor": officer, "result": "denied", "verb": "record.stream"},            # 3
        {"actor": other, "client_address": "192.168.7.9"},                          # 4
        {"actor_label": "nosuchuser", "verb": "login.failed", "result": "denied", "object_label": ""},  # 5
        {"actor": officer, "object_label": "询问笔录（扫描件）.pdf"},                  # 6
    ])
    seq = dict(enumerate(Event.objects.filter(seq__gt=before).order_by("seq").values_list("seq", flat=True)))
    assert _seqs(client, actor="王建国") == [seq[6], seq[3], seq[2], seq[0]]
    assert _seqs(client, actor="wangjg") == [seq[6], seq[3], seq[2], seq[0]]
    assert _seqs(client, actor="nosuchuser") == [seq[5]]  # a failed login under a name no account has
    assert _seqs(client, action="登录") == [seq[5], seq[2], own_login]  # by the Chinese name: 登录, 登录失败
    assert _seqs(client, result="denied") == [seq[5], seq[3]]
    assert _seqs(client, address="192.168.7.9") == [seq[4]]
    assert _seqs(client, address="192.168.") == [seq[4]]
    assert _seqs(client, object="询问笔录") == [seq[6]]
    assert _seqs(client, since="2026-05-13T00:00", until="2026-05-31") == [seq[1]]
    assert _seqs(client, until="2026-05-11") == [s for i, s in sorted(seq.items(), reverse=True) if i != 1]
    assert _seqs(client, actor="王建国", result="denied", action="播放") == [seq[3]]
    response = client.get("/ledger/events/", {"action": "不存在的动作"})
    assert "没有名为" in response.content.decode() and not response.context["page"].events
    response = client.get("/ledger/events/", {"since": "昨天"})
    assert "不是有效的日期时间" in response.content.decode()


def test_the_auditor_sees_the_agencies_it_audits_and_no_other(agency, auditor, client):
    hosted = AgencyFactory(code="yexian-finance", name="叶县财政局", pack_code="lushan_finance", hosted_by=agency)
    AgencyFactory(code="ruzhou-water", name="汝州市水利局", pack_code="ruzhou_water")
    _events([{"agency_code": "lushan-finance"}, {"agency_code": "yexian-finance"}, {"agency_code": "ruzhou-water"},
             {"agency_code": "", "verb": "ledger.checkpoint"}])
    login(client, auditor)
    codes = [e.agency_code for e in client.get("/ledger/events/").context["page"].events]
    assert set(codes) == {"", "lushan-finance", "yexian-finance"}
    assert [e.agency_code for e in client.get("/ledger/events/", {"agency": "ruzhou-water"})
            .context["page"].events] == []
    # The hosted agency's own auditor reads that agency alone, not the platform's events.
    own = UserFactory(agency=hosted, roles=(Role.AUDIT_ADMIN,))
    login(client, own)
    assert {e.agency_code for e in client.get("/ledger/events/").context["page"].events} == {"yexian-finance"}


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.HEAD, Role.ARCHIVIST])
def test_nobody_but_the_auditor_searches_or_exports(agency, client, role):
    login(client, UserFactory(agency=agency, roles=(role,)))
    assert client.get("/ledger/events/").status_code == 403
    assert client.post("/ledger/events/export/", {"format": "csv"}).status_code == 403
    assert not Event.objects.filter(verb="events.export").exists()
    assert Event.objects.filter(result="denied", detail__path="/ledger/events/").exists()


def test_keyset_paging_walks_older_and_back(agency, auditor, client, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 4)
    login(client, auditor)
    _events([{"object_label": f"记录{i}"} for i in range(9)])
    everything = list(Event.objects.order_by("-seq").values_list("seq", flat=True))  # with the auditor's login
    first = client.get("/ledger/events/").context["page"]
    assert [e.seq for e in first.events] == everything[:4] and first.newer is None
    second = client.get("/ledger/events/", {"after": first.older}).context["page"]
    assert [e.seq for e in second.events] == everything[4:8]
    third = client.get("/ledger/events/", {"after": second.older}).context["page"]
    assert [e.seq for e in third.events] == everything[8:] and third.older is None
    back = client.get("/ledger/events/", {"before": third.newer}).context["page"]
    assert [e.seq for e in back.events] == everything[4:8]


def test_the_query_count_stays_flat_as_the_log_grows(agency, auditor, officer, client):
    login(client, auditor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/ledger/events/", {"actor": "王建国"}).status_code == 200
        return len(captured)

    _events([{"actor": officer, "verb": verb} for verb in ("record.view", "login", "case.create")] * 3)
    few = queries()
    _events([{"actor": officer, "verb": verb} for verb in ("record.view", "login", "case.create")] * 100)
    assert queries() == few


def test_an_export_is_itself_an_event_and_carries_no_formula(agency, auditor, officer, client):
    _events([{"actor": officer, "object_label": "=HYPERLINK(\"http://x\",\"点我\")"},
             {"actor": officer, "object_label": "+1-2", "result": "denied"}])
    login(client, auditor)
    response = client.post("/ledger/events/export/", {"format": "csv", "result": "denied"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "序号" and len(rows) == 2
    assert rows[1][7] == "'+1-2"
    export = Event.objects.get(verb="events.export")
    assert export.actor == auditor and export.detail["rows"] == 1 and export.detail["filters"] == {"result": "denied"}

    response = client.post("/ledger/events/export/", {"format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    labels = {sheet.cell(row=r, column=8).value: sheet.cell(row=r, column=8) for r in range(2, sheet.max_row + 1)}
    assert labels["=HYPERLINK(\"http://x\",\"点我\")"].quotePrefix  # text, and stays text when edited
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert Event.objects.filter(verb="events.export").count() == 2


def test_ready_made_audits(agency, auditor, officer, client, settings):
    from cases.models import Case
    from tests.factories import CaseFactory

    settings.WORKING_HOURS = (8, 18)
    secret_case = CaseFactory(agency=agency, personal_privacy=True)
    marked = RecordFactory(agency=agency, case=secret_case)
    plain = RecordFactory(agency=agency)
    self_marked = RecordFactory(agency=agency, confidentiality="commercial_secret")
    saturday_night = dt.datetime(2026, 5, 16, 14, 0, tzinfo=dt.UTC)  # 22:00 Saturday in Shanghai
    before = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0  # the agency's pack.activate
    _events([
        {"actor": officer, "object_id": str(marked.pk)},                                      # 0 marked, by case
        {"actor": officer, "object_id": str(plain.pk)},                                       # 1
        {"actor": officer, "object_id": str(self_marked.pk), "verb": "record.stream"},       # 2 marked itself
        {"actor": officer, "result": "denied", "verb": "case.view"},                          # 3 refused
        {"actor": officer, "occurred_at": saturday_night, "object_id": str(plain.pk)},        # 4 after hours
        {"actor": officer, "occurred_at": BASE.replace(hour=12), "object_id": str(plain.pk)},  # 5 20:00 Monday
    ])
    seq = dict(enumerate(Event.objects.filter(seq__gt=before).order_by("seq").values_list("seq", flat=True)))
    login(client, auditor)
    assert _seqs(client, audit="refused") == [seq[3]]
    assert _seqs(client, audit="marked") == [seq[2], seq[0]]
    assert _seqs(client, audit="after_hours", until="2026-06-01") == [seq[5], seq[4]]  # (not the login now)
    assert Case.objects.filter(pk=secret_case.pk).exists()

    settings.BULK_READS_PER_DAY = 3
    _events([{"actor": officer, "object_id": str(i), "occurred_at": timezone.now() - dt.timedelta(hours=1)}
             for i in range(5)])
    response = client.get("/ledger/events/", {"audit": "bulk"})
    heavy = response.context["heavy"]
    assert [(h.actor_label, h.reads) for h in heavy] == [("wangjg", 5)]
    assert "wangjg" in response.content.decode()


@pytest.mark.parametrize("probe_rows", [1, 10_000])
def test_every_way_into_the_log_finds_the_same_events(agency, auditor, officer, client, monkeypatch, probe_rows):
    """Whether the search walks the log by sequence or takes the action or time index, the rows are the same."""
    monkeypatch.setattr(search, "PROBE_ROWS", probe_rows)
    _events([{"actor": officer, "verb": "login" if i % 3 else "record.view",
              "occurred_at": BASE + dt.timedelta(days=i)} for i in range(12)])
    login(client, auditor)
    expected_logins = list(Event.objects.filter(verb="login", occurred_at__lt=BASE + dt.timedelta(days=30))
                           .order_by("-seq").values_list("seq", flat=True))
    assert _seqs(client, action="登录", until="2026-06-01") == expected_logins
    window = list(Event.objects.filter(occurred_at__gte=BASE + dt.timedelta(days=2),
                                       occurred_at__lt=BASE + dt.timedelta(days=5)).order_by("-seq")
                  .values_list("seq", flat=True))
    assert _seqs(client, since="2026-05-13T10:00", until="2026-05-16T10:00") == window and len(window) == 3
