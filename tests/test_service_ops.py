"""Operations: /healthz for the proxy and monitoring, /metrics for Prometheus, structured logs with request ids."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.db import transaction
from django.test import Client

from authz.roles import Role
from ledger.events import RequestContext, record_event
from ledger.models import Event
from tests.conftest import login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_dependency_and_passes_when_all_answer(client):
    from ledger.checkpoints import make_checkpoint

    with transaction.atomic():
        record_event("test.event")
    make_checkpoint()
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok", report
    checks = report["checks"]
    assert set(checks) == {"database", "store", "queue", "checkpoint", "disk"}
    assert checks["queue"]["ready"] == 0 and checks["checkpoint"]["age_s"] < 60
    assert set(checks["disk"]["free_mb"]) == {"data", "store", "uploads"}


def test_healthz_fails_when_the_store_is_unreachable(client, settings):
    import socket

    from lawtrace import health

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EVIDENCE_STORE = "s3"
    settings.EVIDENCE_S3 = {**settings.EVIDENCE_S3, "endpoint": f"http://127.0.0.1:{port}", "bucket": "lawtrace",
                            "access_key": "x", "secret_key": "y"}
    health._quick_s3_client.cache_clear()
    try:
        response = client.get("/healthz")
    finally:
        health._quick_s3_client.cache_clear()
    assert response.status_code == 503
    store = response.json()["checks"]["store"]
    assert store["status"] == "fail" and "127.0.0.1" in store["error"]


def test_healthz_fails_when_the_local_store_is_gone_or_the_disk_is_full(client, settings, tmp_path):
    (tmp_path / "not-a-directory").write_text("")
    settings.EVIDENCE_STORE_DIR = tmp_path / "not-a-directory" / "objects"
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["store"]["status"] == "fail"
    settings.EVIDENCE_STORE_DIR = tmp_path
    settings.HEALTH_MIN_FREE_MB = 1 << 40
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["disk"]["status"] == "fail"


def test_healthz_warns_but_serves_when_background_work_lags(client, settings):
    from django_tasks_db.models import DBTaskResult

    from tests.worker_tasks import note_run

    note_run.enqueue(1, "/dev/null")
    DBTaskResult.objects.update(enqueued_at=DBTaskResult.objects.get().enqueued_at.replace(year=2020))
    report = client.get("/healthz")
    assert report.status_code == 200  # a web node is not taken out for a slow queue
    assert report.json()["checks"]["queue"]["status"] == "warn"
    assert report.json()["checks"]["checkpoint"]["status"] == "warn"  # none signed yet


def test_metrics_are_prometheus_text_for_the_monitoring_address_only(agency, an_officer, tmp_path,
                                                                    django_capture_on_commit_callbacks):
    from evidence.ingest import Origin, ingest_file
    from evidence.models import Record
    from evidence.synthetic import make_photo
    from tests.worker_tasks import note_run

    note_run.enqueue(1, "/dev/null")
    before = Client().get("/metrics").content.decode()
    # A real JPEG: since intake quarantines unreadable files, a JPEG header over filler bytes gets no derivatives.
    photo = make_photo(tmp_path / "a.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        ingest_file(photo, "a.jpg", Origin(agency=agency, channel=Record.Channel.UPLOAD, ingested_by=an_officer,
                                           officer=an_officer))
    text = Client().get("/metrics").content.decode()
    assert _value(text, 'lawtrace_tasks_ready{queue="default"}') == 2  # the test's task and the derivatives
    assert "lawtrace_ledger_events " in text and 'lawtrace_http_responses_total{status_class="2xx"}' in text
    added = photo.stat().st_size
    assert _value(text, "lawtrace_ingest_bytes_total") == _value(before, "lawtrace_ingest_bytes_total") + added
    assert _value(text, "lawtrace_ingest_records_total") == _value(before, "lawtrace_ingest_records_total") + 1
    assert Client(REMOTE_ADDR="192.0.2.9").get("/metrics").status_code == 403


def _value(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def test_a_request_id_joins_the_log_line_and_the_event(client, agency, settings):
    from lawtrace.logs import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    from lawtrace.logs import ContextFilter

    handler.addFilter(ContextFilter())
    logger = logging.getLogger("lawtrace.access")
    logger.addHandler(handler)
    try:
        login(client, UserFactory(agency=agency, roles=(Role.OFFICER,)))
        response = client.get("/ledger/", HTTP_X_REQUEST_ID="req-0123456789abcdef")  # refused: an event
    finally:
        logger.removeHandler(handler)
    assert response["X-Request-ID"] == "req-0123456789abcdef"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    line = next(item for item in lines if item["path"] == "/ledger/")
    assert line["request_id"] == "req-0123456789abcdef" and line["status"] == 403 and line["user_id"]
    event = Event.objects.get(verb="ledger.view", result="denied")
    assert event.request_id == "req-0123456789abcdef"


def test_log_lines_inside_a_request_carry_its_id():
    from lawtrace import logs

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    token = logs.bind(request_id="abc12345")
    try:
        logs.ContextFilter().filter(record)
    finally:
        logs.unbind(token)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "hello world" and line["request_id"] == "abc12345"
    assert RequestContext(request_id="abc12345").request_id == line["request_id"]


def test_finished_task_results_are_pruned_on_schedule_failed_ones_kept_longer(settings):
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from lawtrace import scheduler
    from lawtrace.tasks import prune_task_results
    from tests.worker_tasks import note_run

    assert "lawtrace.prune_task_results" in scheduler.JOBS
    old = timezone.now() - dt.timedelta(days=settings.TASK_RESULTS_KEEP_DAYS + 1)
    for status in ("SUCCESSFUL", "FAILED", "READY"):
        result = note_run.enqueue(1, "/dev/null")
        DBTaskResult.objects.filter(pk=result.id).update(status=status, enqueued_at=old,
                                                          finished_at=old if status != "READY" else None)
    prune_task_results.call()
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "READY"]
