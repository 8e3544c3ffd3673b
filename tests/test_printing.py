"""Printed registers and ledgers of any length (issue 27): a long one is made by a background job a batch of rows at
a time, covers every row, states its period, filters and count on its first page, numbers its pages on, shows its
progress, is handed only to the one who asked while they hold the page's right, and fails visibly, never stuck."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from authz.roles import Role
from ledger.models import Event
from org.models import RoleGrant
from printing import render, services
from printing.models import PrintJob
from tests.factories import AgencyFactory, UserFactory
from tests.test_city_scale import handed_out, views

pytestmark = pytest.mark.django_db


@pytest.fixture
def printing(settings, tmp_path, client):
    settings.DATA_DIR = tmp_path / "data"
    settings.PRINTED_REGISTER_ROWS = 5
    settings.PRINT_BATCH_ROWS = 4
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default"]}}
    agency = AgencyFactory()
    archivist = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))
    client.force_login(archivist)
    return client, agency, archivist


def pages_of(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def ask(client, captured, path: str, params: dict) -> PrintJob:
    with captured(execute=True):
        response = client.get(path, {**params, "format": "pdf"})
    assert response.status_code == 302, response
    job = PrintJob.objects.get()
    assert response["Location"].endswith(f"/printed/{job.pk}/")
    return job


def test_000_1_3_a_register_over_the_synchronous_limit_is_made_by_the_job_and_covers_every_row(
        printing, django_capture_on_commit_callbacks, monkeypatch):
    client, agency, archivist = printing
    views(agency, 13)
    done_before_each_batch = []
    lay_out = render._part

    def watched(document, rows, **kwargs):
        done_before_each_batch.append(PrintJob.objects.values_list("done_rows", flat=True).get())
        return lay_out(document, rows, **kwargs)

    monkeypatch.setattr(render, "_part", watched)
    monkeypatch.setattr(services, "PROGRESS_EVERY_SECONDS", 0)
    job = ask(client, django_capture_on_commit_callbacks, "/access/register/", {"q": "执法记录仪"})
    job.refresh_from_db()
    assert job.state == PrintJob.State.READY and job.total_rows == job.done_rows == 13
    assert done_before_each_batch == [0, 4, 8, 12]  # progress advances batch by batch (4 + 4 + 4 + 1 rows)
    listed = client.get("/access/register/").content.decode()  # found again from the register's page
    assert f"/access/register/printed/{job.pk}/" in listed
    page = client.get(f"/access/register/printed/{job.pk}/")
    assert "共 13 条" in page.content.decode() and "下载" in page.content.decode()
    download = client.get(f"/access/register/printed/{job.pk}/download")
    assert download["Content-Type"] == "application/pdf"
    pages = pages_of(b"".join(download.streaming_content))
    assert len(pages) == job.pages >= 4
    first = pages[0]
    assert "首条记录 ~ 最新记录" in first and "共 13 条，全部" in first and "执法记录仪" in first
    text = "".join(pages)
    for n in range(13):
        assert text.count(f"执法记录仪视频{n:05d}.mp4") == 1
    for number, page_text in enumerate(pages, start=1):  # numbered on across the parts, the head on every page
        assert f"— {number} —" in page_text and "申请人单位" in page_text
    assert sum("查阅登记簿" in p for p in pages) == 1  # the heading once, on the first page
    verbs = list(Event.objects.filter(object_type="printing.printjob").order_by("seq").values_list("verb", "result"))
    assert verbs == [("print.request", "done"), ("print.ready", "done"), ("print.download", "done")]


def test_000_2_4_a_long_usage_ledger_is_made_by_the_job_and_states_its_count(
        printing, django_capture_on_commit_callbacks, settings):
    client, agency, _archivist = printing
    settings.PRINTED_REGISTER_ROWS = 2
    settings.PRINT_BATCH_ROWS = 2
    devices = handed_out(agency, 3)
    day = timezone.localdate().isoformat()
    job = ask(client, django_capture_on_commit_callbacks, "/devices/usage-ledger/", {"start": day, "end": day})
    job.refresh_from_db()
    assert job.state == PrintJob.State.READY
    text = "".join(pages_of(b"".join(client.get(f"/devices/usage-ledger/printed/{job.pk}/download")
                                     .streaming_content)))
    assert "共 3 次交接" in text
    joined = "".join(text.split())  # a long device name wraps in its column
    assert all("".join(str(device).split()) in joined for device in devices)


def test_000_1_3_only_the_asker_holding_the_register_right_downloads_the_document(
        printing, django_capture_on_commit_callbacks):
    client, agency, archivist = printing
    views(agency, 7)
    job = ask(client, django_capture_on_commit_callbacks, "/access/register/", {})
    url = f"/access/register/printed/{job.pk}/download"
    colleague = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))  # holds the right, did not ask
    client.force_login(colleague)
    assert client.get(url).status_code == 404
    assert client.get(f"/access/register/printed/{job.pk}/").status_code == 404
    officer = UserFactory(agency=agency, roles=(Role.OFFICER,))  # may not read the register at all
    client.force_login(officer)
    assert client.get(url).status_code == 403
    assert Event.objects.filter(verb="print.download", result="denied", actor=officer).exists()
    assert client.get(f"/devices/usage-ledger/printed/{job.pk}/download").status_code == 404  # not a ledger
    RoleGrant.objects.filter(user=archivist).update(role=Role.OFFICER)  # the asker lost the right since
    client.force_login(archivist)
    assert client.get(url).status_code == 403
    assert not Event.objects.filter(verb="print.download", result="done").exists()


def test_000_1_3_a_changed_document_on_the_server_is_not_handed_out(printing, django_capture_on_commit_callbacks):
    client, agency, _archivist = printing
    views(agency, 7)
    job = ask(client, django_capture_on_commit_callbacks, "/access/register/", {})
    job.refresh_from_db()
    (services.output_dir() / job.file_name).write_bytes(b"%PDF-1.7 forged")
    refused = client.get(f"/access/register/printed/{job.pk}/download", follow=True)
    assert any("哈希" in str(m) for m in refused.context["messages"])
    assert Event.objects.filter(verb="print.download", result="denied", object_id=str(job.pk)).exists()


def test_000_1_3_a_job_that_crashes_leaves_a_failed_state_with_its_reason(
        printing, django_capture_on_commit_callbacks, monkeypatch):
    client, agency, _archivist = printing
    views(agency, 13)
    lay_out, calls = render._part, []

    def breaks_on_the_second_batch(document, rows, **kwargs):
        calls.append(len(rows))
        if len(calls) == 2:
            raise MemoryError("out of memory")
        return lay_out(document, rows, **kwargs)

    monkeypatch.setattr(render, "_part", breaks_on_the_second_batch)
    job = ask(client, django_capture_on_commit_callbacks, "/access/register/", {})
    job.refresh_from_db()
    assert job.state == PrintJob.State.FAILED and not job.file_name
    assert list(services.output_dir().iterdir()) == []  # no half-made file or scratch left
    listed = client.get("/access/register/").content.decode()  # found again from the register's page
    assert f"/access/register/printed/{job.pk}/" in listed
    page = client.get(f"/access/register/printed/{job.pk}/").content.decode()
    assert "内部错误" in page and 'http-equiv="refresh"' not in page
    failed = Event.objects.get(verb="print.failed")
    assert "out of memory" in failed.detail["error"]


def test_000_1_3_a_job_whose_worker_died_is_seen_as_failed_not_left_waiting(printing, settings):
    client, agency, archivist = printing
    long_ago = timezone.now() - dt.timedelta(minutes=settings.PRINT_STALLED_MINUTES + 1)
    job = PrintJob.objects.create(agency=agency, kind="access_register", params={}, requested_by=archivist,
                                  state=PrintJob.State.MAKING, total_rows=50, done_rows=20, heartbeat_at=long_ago)
    fresh = PrintJob.objects.create(agency=agency, kind="access_register", params={}, requested_by=archivist,
                                    state=PrintJob.State.MAKING, total_rows=50, heartbeat_at=timezone.now())
    listed = client.get("/access/register/").content.decode()  # found again from the register's page
    assert f"/access/register/printed/{job.pk}/" in listed
    page = client.get(f"/access/register/printed/{job.pk}/").content.decode()
    assert "停止" in page and 'http-equiv="refresh"' not in page
    assert PrintJob.objects.get(pk=job.pk).state == PrintJob.State.FAILED
    services.tidy()
    assert PrintJob.objects.get(pk=fresh.pk).state == PrintJob.State.MAKING  # still beating: left alone
    assert services.make(fresh.pk).state == PrintJob.State.READY  # its task run again (lease lapsed) takes it over
    assert services.make(job.pk).state == PrintJob.State.FAILED  # a failed one stays failed


def test_000_1_3_a_register_beyond_any_printed_document_is_refused_with_the_limit(printing, settings):
    client, agency, _archivist = printing
    settings.PRINTED_DOCUMENT_MAX_ROWS = 10
    views(agency, 13)
    refused = client.get("/access/register/", {"format": "pdf", "since": "2020-01-01"}, follow=True)
    shown = [str(m) for m in refused.context["messages"]]
    assert any("13" in m and "10" in m and "xlsx" in m for m in shown), shown
    assert refused.redirect_chain[-1][0] == "/access/register/?since=2020-01-01"
    assert not PrintJob.objects.exists()
