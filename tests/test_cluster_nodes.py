"""Stateless nodes: several schedulers, workers and web processes on one database behave as one system.

The processes here are real (``manage.py`` subprocesses on the test database), as on several machines.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lawtrace import leases, scheduler
from lawtrace.models import Lease
from tests.processes import database_url

ROOT = Path(__file__).resolve().parent.parent


def node(args: list[str], tmp_path: Path, name: str, **env: str) -> subprocess.Popen:
    """A process of another node: its own data directory, the shared database."""
    data = tmp_path / name
    data.mkdir(exist_ok=True)
    environment = {**os.environ, "DATABASE_URL": database_url(), "LAWTRACE_DATA_DIR": str(data),
                   "LAWTRACE_LEDGER_KEY_DIR": str(tmp_path / "keys"), "PYTHONUNBUFFERED": "1", **env}
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                            stdout=open(data / "out.log", "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def output(tmp_path: Path, name: str) -> str:
    return (tmp_path / name / "out.log").read_text(encoding="utf-8")


def wait_for(condition, timeout: float = 60, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_the_scheduler_lease_has_one_holder_until_it_lapses(db):
    now = timezone.now()
    ttl = dt.timedelta(seconds=60)
    assert leases.hold_lease("scheduler", "node-a", ttl, now)
    assert not leases.hold_lease("scheduler", "node-b", ttl, now)
    assert leases.hold_lease("scheduler", "node-a", ttl, now + ttl / 2)  # renewal
    assert not leases.hold_lease("scheduler", "node-b", ttl, now + ttl)
    # node-a stopped renewing: once the lease lapses, node-b takes it and node-a is out.
    assert leases.hold_lease("scheduler", "node-b", ttl, now + ttl * 2)
    assert not leases.hold_lease("scheduler", "node-a", ttl, now + ttl * 2)
    leases.release_lease("scheduler", "node-b")
    assert leases.hold_lease("scheduler", "node-c", ttl)


def test_two_schedulers_on_two_nodes_fire_each_job_once_and_the_standby_takes_over(transactional_db, tmp_path):
    from django_tasks_db.models import DBTaskResult

    args = ["run_scheduler", "--interval", "1", "--lease-seconds", "3"]
    first, second = node(args, tmp_path, "a"), node(args, tmp_path, "b")
    try:
        assert wait_for(lambda: "holds" in output(tmp_path, "a") + output(tmp_path, "b"))
        time.sleep(3)  # several rounds of looking by both
        holder, standby, standby_name = (first, second, "b") if "holds" in output(tmp_path, "a") \
            else (second, first, "a")
        assert "holds" not in output(tmp_path, standby_name)
        fired = Counter(DBTaskResult.objects.values_list("task_path", flat=True))
        assert len(fired) == len(scheduler.JOBS) and set(fired.values()) == {1}, fired
        stop(holder, signal.SIGKILL)  # dies without giving the lease up
        assert wait_for(lambda: "holds" in output(tmp_path, standby_name), timeout=30)
        # The jobs were due once: the new holder finds nothing more to enqueue.
        assert set(Counter(DBTaskResult.objects.values_list("task_path", flat=True)).values()) == {1}
        stop(standby)
        lease = Lease.objects.get(name="scheduler")
        assert lease.expires_at < timezone.now()  # given up on a clean stop: no wait for the next holder
    finally:
        stop(first, signal.SIGKILL)
        stop(second, signal.SIGKILL)


def test_schedulers_racing_in_threads_enqueue_each_job_once(transactional_db):
    import threading

    from django.db import connections

    now = timezone.now()
    fired: list[str] = []
    barrier = threading.Barrier(4)

    def race() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                fired.extend(scheduler.run_due(now))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(fired) == sorted(scheduler.JOBS)


def test_workers_on_two_nodes_share_the_queue_each_task_run_once(transactional_db, tmp_path):
    from django_tasks_db.models import DBTaskResult

    from tests.worker_tasks import note_run

    notes = tmp_path / "notes.txt"
    for number in range(24):
        note_run.enqueue(number, str(notes))
    if connection.vendor == "postgresql":
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            DBTaskResult.objects.ready().get_locked()
        assert any("FOR UPDATE SKIP LOCKED" in query["sql"] for query in queries)
    args = ["db_worker", "--queue-name", "*", "--batch", "--no-startup-delay", "--interval", "0.05"]
    workers = [node([*args, "--worker-id", name], tmp_path, name) for name in ("w1", "w2")]
    try:
        assert wait_for(lambda: all(w.poll() is not None for w in workers), timeout=120)
    finally:
        for worker in workers:
            stop(worker, signal.SIGKILL)
    runs = [line.split() for line in notes.read_text(encoding="utf-8").splitlines()]
    assert sorted(int(number) for number, _pid in runs) == list(range(24))  # every task once, none twice
    assert len({pid for _number, pid in runs}) == 2  # both machines took part
    results = list(DBTaskResult.objects.values_list("status", "worker_ids"))
    assert all(status == "SUCCESSFUL" and len(ids) == 1 for status, ids in results)


APPEND = """
import sys
from django.db import transaction
from ledger.events import record_event
for i in range(int(sys.argv[2])):
    with transaction.atomic():
        record_event("test.node_append", detail={"node": sys.argv[1], "i": i})
"""


def test_ledger_appends_from_several_nodes_stay_gapless_and_ordered(transactional_db, tmp_path):
    from ledger.models import Event
    from ledger.verification import verify_ledger

    script = tmp_path / "append.py"
    script.write_text(APPEND, encoding="utf-8")
    count = 120
    appenders = [node(["shell", "-c", f"import sys; sys.argv = ['x', '{name}', '{count}']; "
                       f"exec(open({str(script)!r}).read())"], tmp_path, name) for name in ("n1", "n2", "n3")]
    try:
        assert wait_for(lambda: all(p.poll() is not None for p in appenders), timeout=180)
    finally:
        for process in appenders:
            stop(process, signal.SIGKILL)
    assert all(p.returncode == 0 for p in appenders), [output(tmp_path, n) for n in ("n1", "n2", "n3")]
    seqs = list(Event.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(len(seqs)))  # no hole, no duplicate
    rows = list(Event.objects.filter(verb="test.node_append").order_by("seq").values_list("detail", flat=True))
    assert len(rows) == 3 * count
    for name in ("n1", "n2", "n3"):
        assert [row["i"] for row in rows if row["node"] == name] == list(range(count))  # each node's own order
    assert verify_ledger().passed
