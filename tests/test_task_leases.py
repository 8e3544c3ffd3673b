"""Nothing stranded: tasks of django-tasks-db's queue carry a lease renewed while they run; a task whose worker dies
is taken over by another worker. Proved with real worker processes killed by SIGKILL in the middle of filing an
upload, and of a camera dump import whose staging file is then cleared."""

from __future__ import annotations

import datetime as dt
import io
import os
import time

import pytest
from django.core.management import call_command, get_commands
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from evidence import uploads
from evidence.models import Record, UploadSession
from evidence.store import default_store, sweep_staging
from evidence.synthetic import make_video
from lawtrace import leases
from lawtrace.models import Lease
from tests import processes

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def queue(db, settings):
    settings.TASKS = DB_TASKS
    settings.TASK_LEASE_SECONDS = 30
    from evidence.tasks import expire_abandoned_uploads

    return expire_abandoned_uploads


def test_db_worker_is_the_lease_keeping_worker_and_the_deployed_worker_unit_starts_it():
    assert get_commands()["db_worker"] == "lawtrace"
    unit = (processes.ROOT / "deploy" / "systemd" / "lawtrace-worker@.service").read_text()
    start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert " manage.py db_worker " in start and "--worker-id %H-%i" in start


def test_the_scheduler_duty_and_task_leases_share_one_table_without_touching_each_other(queue):
    queue.enqueue()
    moment = timezone.now()
    assert leases.hold_lease("scheduler", "node-a", dt.timedelta(seconds=5), moment)
    task = leases.claim_next(DBTaskResult.objects.ready(), "w1")
    later = moment + dt.timedelta(minutes=5)  # both lapsed
    assert leases.take_over_stale(later) == [str(task.pk)]  # the scheduler's duty is no task to hand back
    assert Lease.objects.get(name="scheduler").holder == "node-a"
    assert leases.stuck(later).stale_running == 0
    assert leases.hold_lease("scheduler", "node-b", dt.timedelta(seconds=5), later)  # taken over as before
    assert Lease.objects.get(task_id=task.pk).name == f"task:{task.pk}"


def test_a_claimed_task_has_a_lease_that_its_worker_renews(queue):
    queued = queue.enqueue()
    task = leases.claim_next(DBTaskResult.objects.ready(), "w1")
    assert str(task.pk) == str(queued.id) and task.status == TaskResultStatus.RUNNING
    lease = Lease.objects.get(task_id=task.pk)
    assert lease.holder == "w1" and lease.expires_at > timezone.now() + dt.timedelta(seconds=25)
    assert leases.renew(task.pk, "w1") and not leases.renew(task.pk, "someone else")
    assert leases.take_over_stale() == []  # alive: never taken


def test_a_task_whose_lease_expired_goes_back_to_the_queue_and_its_old_worker_loses_it(queue):
    queue.enqueue()
    task = leases.claim_next(DBTaskResult.objects.ready(), "dead worker")
    later = timezone.now() + dt.timedelta(seconds=31)
    assert leases.take_over_stale(later) == [str(task.pk)]
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY
    assert not leases.renew(task.pk, "dead worker") and not leases.holds(task.pk, "dead worker")
    again = leases.claim_next(DBTaskResult.objects.ready(), "w2")
    assert again.pk == task.pk and again.worker_ids == ["dead worker", "w2"]
    assert Lease.objects.get(task_id=task.pk).takeovers == 1


def test_a_task_that_kills_every_worker_is_given_up_after_a_few(queue):
    queue.enqueue()
    moment = timezone.now()
    for attempt in range(leases.MAX_TAKEOVERS + 1):
        task = leases.claim_next(DBTaskResult.objects.ready(), f"w{attempt}")
        moment += dt.timedelta(minutes=1)
        leases.take_over_stale(moment)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and task.exception_class_path == leases.WORKER_LOST
    assert leases.stuck(moment).given_up == 1


def test_a_running_task_claimed_without_a_lease_is_taken_over_once_old(queue):
    queue.enqueue()
    row = DBTaskResult.objects.get()
    row.claim("a worker from before leases")
    assert leases.take_over_stale(unleased=True) == []
    later = timezone.now() + dt.timedelta(seconds=31)
    assert leases.take_over_stale(later) == []  # only a worker starting up looks for these
    assert leases.take_over_stale(later, unleased=True) == [str(row.pk)]


def test_the_heartbeat_keeps_the_lease_while_the_task_runs(queue, settings, transactional_db):
    settings.TASK_LEASE_SECONDS = 3
    queue.enqueue()
    task = leases.claim_next(DBTaskResult.objects.ready(), "w1")
    with leases.Heartbeat(task.pk, "w1") as beat:
        time.sleep(4.5)  # longer than the lease itself
        assert leases.take_over_stale() == []
    assert not beat.lost


def test_a_worker_finishes_a_task_and_drops_its_lease(queue, transactional_db):
    queue.enqueue()
    call_command("db_worker", "--batch", "--no-startup-delay", "--worker-id", "w1", verbosity=0)
    task = DBTaskResult.objects.get()
    assert task.status == TaskResultStatus.SUCCESSFUL and not Lease.objects.exists()


def test_a_worker_that_lost_its_lease_leaves_the_result_to_the_one_that_took_over(queue, monkeypatch):
    from lawtrace.management.commands.db_worker import LeasedWorker

    queue.enqueue()
    task = leases.claim_next(DBTaskResult.objects.ready(), "slow")
    real_call = type(task.task).call

    def taken_meanwhile(self, *args, **kwargs):
        leases.take_over_stale(timezone.now() + dt.timedelta(minutes=5))
        leases.claim_next(DBTaskResult.objects.ready(), "fast")
        return real_call(self, *args, **kwargs)

    monkeypatch.setattr(type(task.task), "call", taken_meanwhile)
    worker = LeasedWorker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                          max_tasks=None, worker_id="slow", excluded_queue_names=[])
    worker.run_task(task)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING and task.worker_ids == ["slow", "fast"]
    assert Lease.objects.get(task_id=task.pk).holder == "fast"


# --- real processes, killed -------------------------------------------------------------------------------

HOLDS = {
    "while hashing": "evidence.hashing:hash_stream@before",
    "after the store took the file": "evidence.ingest:_file@before",
    "after the record, before the upload says so": "evidence.uploads:ingest_file@after",
}


@pytest.mark.parametrize("point", list(HOLDS))
def test_a_worker_killed_while_filing_an_upload_is_replaced_by_another(point, transactional_db, settings, tmp_path):
    from tests.factories import AgencyFactory, officer

    settings.TASKS = DB_TASKS
    person = officer(AgencyFactory())
    content = make_video(tmp_path / "clip.mp4", seconds=2).read_bytes()
    session = uploads.create_session(person, len(content), {"filename": "现场检查.mp4"})
    uploads.append(session, 0, io.BytesIO(content), len(content))  # received: its filing task is queued
    task = DBTaskResult.objects.get(pk=UploadSession.objects.get(pk=session.pk).task_id)
    env = processes.environment(LAWTRACE_TASK_LEASE_SECONDS="3", MARK=str(tmp_path / "reached"), HOLD=HOLDS[point])
    log = tmp_path / "worker-a.log"
    first = processes.start(["db_worker", "--queue-name", "*", "--no-startup-delay", "--interval", "0.1",
                             "--worker-id", "worker-a"], env, log)
    try:
        processes.wait_for(tmp_path / "reached", first, log)
    finally:
        processes.kill(first)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING and task.worker_ids == ["worker-a"]
    assert UploadSession.objects.get(pk=session.pk).state == UploadSession.State.RECEIVED
    time.sleep(3.5)  # the dead worker's lease runs out
    env.pop("HOLD")
    second = processes.run(["db_worker", "--batch", "--no-startup-delay", "--worker-id", "worker-b"], env)
    assert second.returncode == 0, second.stdout + second.stderr
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL and task.worker_ids == ["worker-a", "worker-b"]
    session = UploadSession.objects.get(pk=session.pk)
    assert session.state == UploadSession.State.FILED
    record = Record.objects.get()
    assert session.record == record and record.kind == "av" and record.blob.size == len(content)
    assert not uploads.part_path(session).exists() and not Lease.objects.filter(task_id=task.pk).exists()
    assert not any(default_store().staging_dir.glob("*")) if default_store().staging_dir.exists() else True


def test_an_import_killed_mid_copy_leaves_a_staging_file_cleared_only_once_its_process_is_gone(transactional_db,
                                                                                              tmp_path):
    from tests.factories import AgencyFactory, DeviceFactory, officer

    agency = AgencyFactory()
    officer(agency, staff_number="410001")
    DeviceFactory(agency=agency, serial="DSJ00042")
    dump = tmp_path / "DCIM"
    dump.mkdir()
    (dump / "DSJ00042_410001_20261102090000_0001.mp4").write_bytes(os.urandom(12 << 20))
    env = processes.environment(MARK=str(tmp_path / "reached"), HOLD="evidence.hashing:_Sink.take@after")
    log = tmp_path / "import.log"
    child = processes.start(["ingest_dump", str(dump), "--device", "DSJ00042", "--officer", "410001"], env, log)
    staging = default_store().staging_dir
    try:
        processes.wait_for(tmp_path / "reached", child, log)
        left = list(staging.iterdir())
        assert len(left) == 1 and left[0].stat().st_size > 0
        kept = sweep_staging(staging, dt.timedelta(0))
        assert kept.removed == 0 and kept.kept == 1 and left[0].exists()  # its process still works on it
    finally:
        processes.kill(child)
    assert sweep_staging(staging, dt.timedelta(hours=1)).removed == 0  # too recent: the grace period holds
    gone = sweep_staging(staging, dt.timedelta(0))
    assert gone.removed == 1 and gone.removed_bytes > 0 and not any(staging.iterdir())
    assert not Record.objects.exists()
    rerun = processes.run(["ingest_dump", str(dump), "--device", "DSJ00042", "--officer", "410001"],
                          processes.environment())
    assert rerun.returncode == 3, rerun.stdout + rerun.stderr  # random bytes: kept, but unreadable
    assert Record.objects.count() == 1 and not any(staging.iterdir())
