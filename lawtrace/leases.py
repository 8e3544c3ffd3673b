"""Leases: a duty one process of the cluster holds until it stops renewing it, in one table (``Lease``: a name, its
holder, until when). Two kinds of duty use them.

Named duties (``hold_lease``, ``release_lease``): the scheduler runs on every node, and only the holder of the
``scheduler`` lease enqueues (``manage.py run_scheduler``).

Running a task of django-tasks-db's database queue: a task claimed by a worker that then dies is run again by
another worker, and a task still running is never taken from its worker. The queue is django-tasks-db's own table
(``DBTaskResult``); a running task has a lease naming it (``task``) that says which worker holds it and until when.
``manage.py db_worker`` (``lawtrace``'s version of the command, a subclass of django-tasks-db's worker) uses it as
follows:

- ``claim_next(tasks, worker_id)`` claims the next ready task and takes its lease in the same transaction (exclusive
  on SQLite, ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL), so a claimed task always has a lease;
- ``Heartbeat(task_id, worker_id)`` renews the lease from a thread every third of ``LAWTRACE_TASK_LEASE_SECONDS``
  while the task runs; ``heartbeat.lost`` tells whether another worker took the task meanwhile (the worker then
  leaves the result to that worker and does not overwrite it);
- ``finish(task_id, worker_id)`` drops the lease once the result is written; ``give_back(task_id, worker_id)``
  puts the task straight back in the queue when the worker is stopped on purpose in the middle of it;
- ``take_over_stale()`` puts every RUNNING task whose lease has expired — its worker was killed, lost power or
  its network — back to READY, where any worker claims it like a new one. A task that has outlived
  ``MAX_TAKEOVERS`` workers fails instead of killing workers forever. Every worker calls it between tasks, so a
  pool of workers needs no separate reaper.

Tasks must therefore be safe to run again after a crash at any point; the filing, derivative, housekeeping, fixity
and purge tasks are.
``stuck()`` reports what waits too long for the archivist's dashboard. Nothing here deletes a task's row.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, OperationalError, close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet
from django_tasks_db.utils import exclusive_transaction

from lawtrace.models import Lease

log = logging.getLogger(__name__)
MAX_TAKEOVERS = 3
WORKER_LOST = "lawtrace.leases.WorkerLost"


class WorkerLost(Exception):
    """The workers running a task stopped without finishing it, again and again."""


def hold_lease(name: str, holder: str, ttl: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """Take or renew the named lease for ``holder``; False while someone else holds it unexpired.

    One conditional UPDATE decides: PostgreSQL re-checks its condition on the row a concurrent taker just wrote,
    and SQLite runs one writer at a time, so two takers never both succeed.
    """
    now = now or timezone.now()
    if not Lease.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                Lease.objects.create(name=name, holder="", expires_at=now - dt.timedelta(seconds=1))
        except IntegrityError:
            pass  # created by a concurrent taker
    taken = (Lease.objects.filter(name=name).filter(Q(holder=holder) | Q(expires_at__lt=now))
             .update(holder=holder, expires_at=now + ttl, renewed_at=now))
    return taken == 1


def release_lease(name: str, holder: str) -> None:
    """Give the lease up at once (on shutdown), so a standby need not wait for it to expire."""
    Lease.objects.filter(name=name, holder=holder).update(expires_at=timezone.now() - dt.timedelta(seconds=1))


def lease_length() -> dt.timedelta:
    return dt.timedelta(seconds=settings.TASK_LEASE_SECONDS)


def _task_lease_name(task_id) -> str:
    return f"task:{task_id}"


def claim_next(tasks: DBTaskResultQuerySet, worker_id: str) -> DBTaskResult | None:
    """Claim the first task of ``tasks`` (ready ones, in queue order) for ``worker_id`` and lease it."""
    with exclusive_transaction(tasks.db):
        task = tasks.get_locked()
        if task is None:
            return None
        task.claim(worker_id)
        now = timezone.now()
        Lease.objects.update_or_create(task_id=task.pk, defaults={
            "name": _task_lease_name(task.pk), "holder": worker_id, "claimed_at": now, "renewed_at": now,
            "expires_at": now + lease_length()})
    return task


def renew(task_id, worker_id: str) -> bool:
    """Push the lease's expiry forward; False when the lease is no longer this worker's."""
    now = timezone.now()
    return Lease.objects.filter(task_id=task_id, holder=worker_id).update(
        renewed_at=now, expires_at=now + lease_length()) == 1


def holds(task_id, worker_id: str) -> bool:
    return Lease.objects.filter(task_id=task_id, holder=worker_id, task__status=TaskResultStatus.RUNNING).exists()


def finish(task_id, worker_id: str) -> None:
    Lease.objects.filter(task_id=task_id, holder=worker_id).delete()


def give_back(task_id, worker_id: str) -> None:
    """A worker stopped on purpose in the middle of a task: the task goes back to the queue at once."""
    with exclusive_transaction(DBTaskResult.objects.db):
        if Lease.objects.filter(task_id=task_id, holder=worker_id).update(holder="", expires_at=timezone.now()):
            DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY)


def take_over_stale(now: dt.datetime | None = None, *, unleased: bool = False) -> list[str]:
    """Put RUNNING tasks whose lease expired back in the queue; return their ids.

    Read from the lease table, which holds only the few tasks running or taken over, so a worker may ask often
    whatever the size of the results table. ``unleased`` also covers RUNNING tasks without any lease that started
    more than a lease ago — claimed by a worker without leases (before they existed), whose death nothing else
    would notice; that needs a scan of the results table, so a worker asks it once, when it starts."""
    now = now or timezone.now()
    candidates = list(Lease.objects.filter(expires_at__lt=now, task__status=TaskResultStatus.RUNNING)
                      .values_list("task_id", flat=True))
    if unleased:
        candidates += list(DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, lease__isnull=True,
                                                       started_at__lt=now - lease_length())
                           .values_list("pk", flat=True))
    if not candidates:
        return []
    taken: list[str] = []
    with exclusive_transaction(DBTaskResult.objects.db):
        for task in DBTaskResult.objects.select_for_update(skip_locked=True).filter(
                pk__in=candidates, status=TaskResultStatus.RUNNING):
            lease = Lease.objects.select_for_update().filter(task_id=task.pk).first()
            if lease is not None and lease.expires_at >= now:
                continue  # renewed meanwhile: its worker is alive after all
            takeovers = (lease.takeovers if lease else 0) + 1
            Lease.objects.update_or_create(task_id=task.pk, defaults={
                "name": _task_lease_name(task.pk), "holder": "", "expires_at": now, "takeovers": takeovers})
            if takeovers > MAX_TAKEOVERS:
                task.status = TaskResultStatus.FAILED
                task.finished_at = now
                task.exception_class_path = WORKER_LOST
                task.traceback = (f"{WORKER_LOST}: the workers running this task stopped {takeovers} times without "
                                  f"finishing it; it is not started again.\n")
                task.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
                log.error("task %s (%s) failed: its workers died %d times", task.pk, task.task_path, takeovers)
            else:
                task.status = TaskResultStatus.READY
                task.save(update_fields=["status"])
                log.warning("task %s (%s) taken over from workers %s: lease expired", task.pk, task.task_path,
                            task.worker_ids)
            taken.append(str(task.pk))
    return taken


class Heartbeat:
    """Renew a task's lease from a thread of its own while the task runs (``with Heartbeat(...) as beat:``)."""

    def __init__(self, task_id, worker_id: str) -> None:
        self.task_id, self.worker_id = task_id, worker_id
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{task_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        interval = max(1.0, settings.TASK_LEASE_SECONDS / 3)
        try:
            while not self._stop.wait(interval):
                try:
                    if not renew(self.task_id, self.worker_id):
                        self.lost = True
                        log.warning("lease of task %s lost by worker %s", self.task_id, self.worker_id)
                        return
                except OperationalError as exc:  # a busy SQLite database: the next beat tries again
                    log.warning("lease of task %s not renewed: %s", self.task_id, exc)
                    close_old_connections()
        finally:
            connection.close()  # this thread's own connection


@dataclass(frozen=True)
class Stuck:
    stale_running: int  # running, lease expired: the worker died and no worker has taken it over yet
    oldest_stale: dt.timedelta | None
    waiting: int  # ready for longer than ``patience``: no worker is taking work
    oldest_waiting: dt.timedelta | None
    given_up: int  # failed in the last day because their workers kept dying
    any: bool = False


def stuck(now: dt.datetime | None = None, patience: dt.timedelta = dt.timedelta(minutes=10)) -> Stuck:
    now = now or timezone.now()
    stale = Lease.objects.filter(expires_at__lt=now, task__status=TaskResultStatus.RUNNING)
    oldest_stale = stale.order_by("expires_at").values_list("expires_at", flat=True).first()
    waiting = DBTaskResult.objects.ready().filter(enqueued_at__lt=now - patience)  # the queue's own index
    oldest_waiting = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    given_up = Lease.objects.filter(takeovers__gt=MAX_TAKEOVERS, task__status=TaskResultStatus.FAILED,
                                        task__finished_at__gte=now - dt.timedelta(days=1)).count()
    stale_count, waiting_count = stale.count(), waiting.count()
    return Stuck(stale_count, now - oldest_stale if oldest_stale else None, waiting_count,
                 now - oldest_waiting if oldest_waiting else None, given_up,
                 any=bool(stale_count or waiting_count or given_up))
