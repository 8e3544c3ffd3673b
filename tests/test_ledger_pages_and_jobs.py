from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from authz.roles import Role
from lawtrace import scheduler
from lawtrace.models import ScheduledJob
from ledger.events import record_event
from ledger.models import Checkpoint, Event, VerificationRun
from tests.conftest import login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def test_only_the_audit_administrator_sees_the_ledger(client, agency):
    for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.HEAD, Role.OFFICER):
        login(client, UserFactory(agency=agency, roles=(role,)))
        assert client.get("/ledger/").status_code == 403
    assert Event.objects.filter(verb="ledger.view", result="denied").count() == 4
    auditor = UserFactory(agency=agency, roles=(Role.AUDIT_ADMIN,))
    login(client, auditor)
    page = client.get("/ledger/").content.decode()
    assert "事件记录" in page and "公钥" in page


def test_auditor_runs_a_verification_and_reads_the_report(client, agency, settings,
                                                          django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    login(client, UserFactory(agency=agency, roles=(Role.AUDIT_ADMIN,)))
    with transaction.atomic():
        record_event("test.event")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/ledger/verify/")
    response = client.get(response["Location"])
    run = VerificationRun.objects.get()
    assert run.state == VerificationRun.State.PASSED and run.events_checked >= 2
    assert "每一条事件、每一个树节点和每一个检查点都核验无误。" in response.content.decode()
    assert Event.objects.filter(verb="ledger.verify", object_id=str(run.pk)).exists()


def test_checkpoints_are_signed_on_schedule_never_twice_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    now = timezone.now()
    assert "ledger.checkpoint" in scheduler.run_due(now)
    assert scheduler.run_due(now + dt.timedelta(minutes=1)) == []  # not due yet
    # Due again, but the first run is still waiting for a worker: it is not enqueued a second time.
    assert "ledger.checkpoint" not in scheduler.run_due(now + dt.timedelta(minutes=10))
    job = ScheduledJob.objects.get(name="ledger.checkpoint")
    assert job.next_run_at == now + dt.timedelta(minutes=settings.LEDGER_CHECKPOINT_MINUTES)


def test_scheduled_checkpoint_task_signs_only_when_the_log_grew(settings):
    settings.TASKS = IMMEDIATE
    with transaction.atomic():
        record_event("test.event")
    now = timezone.now()
    scheduler.run_due(now)
    scheduler.run_due(now + dt.timedelta(hours=1))
    assert Checkpoint.objects.count() == 1
