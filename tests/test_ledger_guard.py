"""A forged row past the head stops the ledger with a clear refusal and an alert; verification runs always end; the
witness text goes out on schedule (issue 19, section 3)."""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.utils import timezone

from authz.roles import Role
from lawtrace import scheduler
from ledger import checkpoints, guard, tree, witness
from ledger.events import record_event
from ledger.models import Event, VerificationRun, WitnessDelivery
from tests.conftest import login
from tests.factories import UserFactory
from tests.ledger_attacks import events, lift_triggers, sql

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


@pytest.fixture
def auditor(agency):
    return UserFactory(agency=agency, roles=(Role.AUDIT_ADMIN,), email="shenji@example.gov.cn")


def _forge_row_past_the_head() -> int:
    seq = tree.current_size()
    sql("INSERT INTO ledger_event (seq, occurred_at, verb, result, actor_label, agency_code, object_type, object_id, "
        "object_label, request_id) VALUES (%s, %s, 'record.view', 'done', '', '', '', '', '', '')",
        [seq, timezone.now()])
    return seq


def test_a_forged_row_past_the_head_refuses_every_change_in_chinese_and_alerts_the_auditor(
        client, agency, auditor, settings, mailoutbox, monkeypatch):
    settings.EMAIL_HOST = "mail.example.gov.cn"
    monkeypatch.setattr(guard, "_last_alert", 0.0)
    events(3)
    officer = UserFactory(agency=agency, roles=(Role.OFFICER,))
    login(client, officer)
    auditor_client = login(Client(), auditor)  # signed in before: a login is itself an event
    seq = _forge_row_past_the_head()  # INSERT is allowed: the triggers guard only UPDATE and DELETE
    response = client.get("/ledger/")  # the refusal of this page is itself written to the ledger
    assert response.status_code == 503
    page = response.content.decode()
    assert "暂停" in page and str(seq) in page
    with pytest.raises(guard.LedgerBlocked), transaction.atomic():
        record_event("test.event")
    assert [m.to for m in mailoutbox] == [["shenji@example.gov.cn"]]
    assert str(seq) in mailoutbox[0].body
    overview = auditor_client.get("/ledger/").content.decode()
    assert "拒绝一切修改" in overview and str(seq) in overview
    dashboard = auditor_client.get("/").content.decode()
    assert "拒绝一切修改" in dashboard and "/ledger/" in dashboard


def test_a_rolled_back_head_stops_appends():
    events(4)
    lift_triggers()
    sql("UPDATE ledger_ledgerhead SET size = size - 2")
    with pytest.raises(guard.LedgerBlocked, match="2"), transaction.atomic():
        record_event("test.event")
    assert guard.intrusion() is not None


def test_the_head_refuses_to_shrink_or_go_even_in_raw_sql():
    events(3)
    for statement in ("UPDATE ledger_ledgerhead SET size = 1", "DELETE FROM ledger_ledgerhead"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql(statement)


def test_a_checkpoint_is_never_signed_over_a_rewritten_history():
    events(5)
    checkpoints.make_checkpoint()
    lift_triggers()
    from tests.ledger_attacks import rebuild_tree_from_rows, rewrite_detail

    rewrite_detail(2, {"i": 20})
    rebuild_tree_from_rows()
    events(1)
    with pytest.raises(guard.LedgerBlocked, match="改写"):
        checkpoints.make_checkpoint()


def test_an_in_app_verification_that_breaks_ends_failed_with_the_reason(client, auditor, settings, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE

    def broken(progress=None):
        raise MemoryError("out of memory")

    monkeypatch.setattr("ledger.tasks.verify_ledger", broken)
    login(client, auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/ledger/verify/")
    run = VerificationRun.objects.get()
    assert run.state == VerificationRun.State.FAILED and run.finished_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "out of memory" in page and "refresh" not in page


def test_a_run_whose_worker_went_quiet_is_settled_failed(client, auditor, settings):
    login(client, auditor)
    quiet = VerificationRun.objects.create(state=VerificationRun.State.RUNNING,
                                           heartbeat_at=timezone.now() - dt.timedelta(hours=2))
    queued = VerificationRun.objects.create(state=VerificationRun.State.QUEUED)
    VerificationRun.objects.filter(pk=queued.pk).update(requested_at=timezone.now() - dt.timedelta(hours=2))
    fresh = VerificationRun.objects.create(state=VerificationRun.State.RUNNING, heartbeat_at=timezone.now())
    page = client.get(f"/ledger/verify/{quiet.pk}/").content.decode()
    assert "refresh" not in page
    states = dict(VerificationRun.objects.values_list("pk", "state"))
    assert states == {quiet.pk: "failed", queued.pk: "failed", fresh.pk: "running"}
    assert "后台" in VerificationRun.objects.get(pk=quiet.pk).problems[0]["message"] or \
        "worker" in VerificationRun.objects.get(pk=quiet.pk).problems[0]["message"]


class _Witness(BaseHTTPRequestHandler):
    received: list[bytes] = []
    status = 200

    def do_POST(self):  # noqa: N802 (the handler's own name)
        type(self).received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def witness_server():
    _Witness.received, _Witness.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), _Witness)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_witness_text_is_pushed_to_the_endpoint_and_mailed_on_schedule(settings, witness_server, mailoutbox):
    settings.LEDGER_WITNESS_URL = f"http://127.0.0.1:{witness_server.server_port}/witness"
    settings.LEDGER_WITNESS_MAIL = ["jiandu@sifaju.example.gov.cn"]
    events(3)
    made = checkpoints.make_checkpoint()
    assert "ledger.witness" in scheduler.JOBS
    deliveries = witness.push()
    assert [(d.channel, d.ok) for d in deliveries] == [("https", True), ("mail", True)]
    body = _Witness.received[0].decode("utf-8")
    assert made.note.strip() in body and made.key_id in body and bytes(made.signature).hex() in body
    assert mailoutbox[0].to == ["jiandu@sifaju.example.gov.cn"] and made.key_id in mailoutbox[0].body
    assert Event.objects.filter(verb="ledger.witness").count() == 2


def test_a_failed_push_is_recorded_and_does_not_stop_the_other(settings, witness_server, mailoutbox):
    settings.LEDGER_WITNESS_URL = f"http://127.0.0.1:{witness_server.server_port}/witness"
    settings.LEDGER_WITNESS_MAIL = ["jiandu@sifaju.example.gov.cn"]
    _Witness.status = 500
    events(1)
    checkpoints.make_checkpoint()
    witness.push()
    failed, mailed = WitnessDelivery.objects.order_by("id")
    assert not failed.ok and "500" in failed.error and mailed.ok


def test_a_witness_address_without_https_stops_start_up():
    from tests.test_settings import _start

    result = _start({"LAWTRACE_WITNESS_URL": "http://sifaju.example.gov.cn/witness"})
    assert result.returncode != 0 and "LAWTRACE_WITNESS_URL" in result.stderr
