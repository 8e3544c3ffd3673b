"""The read API and the outbound feed (issue 25): every list through the pages' queries and ``restrict``, paginated
by a stable cursor with a query count that does not grow with the rows; the feed by pull and by signed webhooks
delivered at least once."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integration import accounts, webhooks
from integration.models import Delivery
from ledger.models import Event
from tests.factories import ActivityFactory, CaseFactory, RecordFactory, officer
from tests.test_integration_api import ALL, case_body, client_for, issue


@pytest.fixture
def system(agency):
    return accounts.create_account(agency, name="省行政执法监督平台")


@pytest.fixture
def api(system):
    return client_for(issue(system)[1])


def _walk(api, url: str) -> list[int]:
    seen, response = [], api.get(url)
    while True:
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            return seen
        response = api.get(body["next"])


def test_cursor_pagination_is_stable_while_rows_are_added(api, agency):
    cases = [CaseFactory(agency=agency) for _ in range(5)]
    first = api.get("/api/v1/cases/", {"limit": 2}).json()
    CaseFactory(agency=agency)  # added between pages: it comes at the end, nothing shifts or repeats
    rest = _walk(api, first["next"])
    ids = [row["id"] for row in first["results"]] + rest
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 6
    assert ids[:5] == [c.pk for c in cases]
    assert api.get("/api/v1/cases/", {"cursor": "garbage"}).json()["code"] == "invalid_cursor"


LISTS = {
    "/api/v1/cases/": lambda agency: CaseFactory(agency=agency, handlers=[officer(agency)]),
    "/api/v1/activities/": lambda agency: ActivityFactory(agency=agency, officers=[officer(agency)]),
    "/api/v1/records/": lambda agency: RecordFactory(agency=agency, officer=officer(agency)),
    "/api/v1/findings/": None,
    "/api/v1/retention/due/": None,
    "/api/v1/supervision/results/": None,
    "/api/v1/access/register/": None,
}


@pytest.mark.parametrize("url", list(LISTS))
def test_a_list_costs_the_same_queries_however_many_rows(api, agency, url):
    make = LISTS[url]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url, {"state": "all"}).status_code == 200
        return len(queries)

    for _ in range(2):
        make and make(agency)
    count()  # the first call of a token notes when it was used
    few = count()
    for _ in range(6):
        make and make(agency)
    assert count() == few


def test_records_are_metadata_without_content(api, agency):
    record = RecordFactory(agency=agency, officer=officer(agency, staff_number="A3001"))
    row = api.get("/api/v1/records/").json()["results"][0]
    assert row["id"] == record.pk and row["sha256"] == record.blob.sha256 and row["officer"] == "A3001"
    assert not {"content", "url", "stream", "download"} & set(row)


def test_reads_see_only_the_tokens_agency(api, agency, other_agency):
    RecordFactory(agency=other_agency)
    CaseFactory(agency=other_agency)
    for url in ("/api/v1/records/", "/api/v1/cases/", "/api/v1/findings/", "/api/v1/retention/due/"):
        assert api.get(url, {"state": "all"}).json()["results"] == [], url
    assert api.get("/api/v1/compliance/rates/", {"by": "month"}).json()["rows"] == []


def test_every_read_is_an_event_naming_the_system(api, system):
    api.get("/api/v1/records/")
    event = Event.objects.filter(verb="api.call").latest("seq")
    assert event.actor_label == system.name and event.detail["path"] == "/api/v1/records/"


@pytest.mark.parametrize("url,operation", [
    ("/api/v1/records/", "records.read"), ("/api/v1/findings/", "compliance.read"),
    ("/api/v1/compliance/rates/", "compliance.read"), ("/api/v1/access/register/", "access.read"),
    ("/api/v1/retention/due/", "retention.read"), ("/api/v1/supervision/results/", "supervision.read"),
    ("/api/v1/feed/", "feed.read"), ("/api/v1/activities/", "cases.read")])
def test_each_read_needs_its_operation(system, url, operation):
    others = [op for op in ALL if op != operation and not (operation == "cases.read" and op == "cases.write")]
    response = client_for(issue(system, others)[1]).get(url)
    assert response.status_code == 403 and response.json()["code"] == "scope_missing"
    assert Event.objects.filter(result="denied", verb="api.scope", actor_label=system.name,
                                detail__operation=operation).exists()


def test_the_feed_resumes_from_its_cursor_and_covers_only_the_agency(api, agency, other_agency):
    mine = api.post("/api/v1/cases/", case_body(handlers=[officer(agency, staff_number="A1001").staff_number]),
                    format="json").json()
    CaseFactory(agency=other_agency)
    page = api.get("/api/v1/feed/", {"limit": 1}).json()
    assert [e["verb"] for e in page["events"]] == ["case.create"] and page["events"][0]["object_id"] == str(mine["id"])
    assert page["events"][0]["actor"] == "省行政执法监督平台"
    later = api.get("/api/v1/feed/", {"after": page["next_after"]}).json()
    assert later["events"] == [] and later["next_after"] == page["next_after"] and not later["more"]
    assert all(e["agency"] == agency.code for e in api.get("/api/v1/feed/").json()["events"])


class _Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[bytes, dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((body, dict(self.headers)))
        self.send_response(type(self).answers.pop(0) if type(self).answers else 200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver():
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.answers, _Receiver.received = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver
    server.shutdown()
    server.server_close()


def test_a_webhook_that_fails_twice_then_succeeds_gets_the_event_once_signed(system, agency, receiver, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    url, handler = receiver
    handler.answers = [500, 503]
    hook, secret = webhooks.add_webhook(system, url=url, verbs=["case.create"])
    with pytest.MonkeyPatch.context():
        api = client_for(issue(system)[1])
        officer(agency, staff_number="A1001")
        created = api.post("/api/v1/cases/", case_body(), format="json").json()
    delivery = Delivery.objects.get(webhook=hook)
    moment = timezone.now()
    first = webhooks.deliver(delivery.pk, now=moment)
    assert first.state == "pending" and first.last_status == 500 and first.next_attempt_at == moment + dt.timedelta(
        seconds=30)
    retry = DBTaskResult.objects.filter(task_path="integration.tasks.deliver").order_by("-enqueued_at").first()
    assert retry is not None and retry.run_after is not None  # queued to wait out its back-off
    second = webhooks.deliver(delivery.pk, now=moment)
    assert second.next_attempt_at == moment + dt.timedelta(seconds=60) and second.last_status == 503
    assert webhooks.due(now=moment) == [] and webhooks.due(now=moment + dt.timedelta(seconds=61)) == [delivery.pk]
    third = webhooks.deliver(delivery.pk)
    assert third.state == "delivered" and third.attempts == 3
    assert webhooks.deliver(delivery.pk) is None  # delivered: never posted again
    bodies = [body for body, _headers in handler.received]
    assert len(bodies) == 3 and len(set(bodies)) == 1  # the same delivery each time: the receiver deduplicates
    body, headers = handler.received[-1]
    assert webhooks.verify(secret, body, headers["X-Lawtrace-Signature"])
    assert not webhooks.verify("another secret", body, headers["X-Lawtrace-Signature"])
    assert not webhooks.verify(secret, body + b" ", headers["X-Lawtrace-Signature"])
    message = json.loads(body)
    assert message["event"]["verb"] == "case.create" and message["event"]["object_id"] == str(created["id"])


def test_a_webhook_gives_up_after_its_attempts_and_the_log_shows_it(system, agency, receiver, settings):
    settings.INTEGRATION_WEBHOOK_ATTEMPTS = 2
    url, handler = receiver
    handler.answers = [500, 500]
    hook, _secret = webhooks.add_webhook(system, url=url, verbs=[])
    officer(agency, staff_number="A1001")
    client_for(issue(system)[1]).post("/api/v1/cases/", case_body(), format="json")
    delivery = Delivery.objects.get(webhook=hook, verb="case.create")
    webhooks.deliver(delivery.pk)
    assert webhooks.deliver(delivery.pk).state == "failed"


def test_an_unreachable_receiver_is_retried_not_lost(system, agency):
    hook, _secret = webhooks.add_webhook(system, url="http://127.0.0.1:9/closed", verbs=["case.create"])
    officer(agency, staff_number="A1001")
    client_for(issue(system)[1]).post("/api/v1/cases/", case_body(), format="json")
    delivery = webhooks.deliver(Delivery.objects.get(webhook=hook).pk)
    assert delivery.state == "pending" and delivery.last_error and delivery.next_attempt_at
