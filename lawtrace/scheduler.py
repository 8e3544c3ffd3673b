"""Periodic jobs (checkpoints, fixity and retention sweeps …) on top of the Tasks API.

Each app registers its jobs in ``AppConfig.ready``. ``manage.py run_scheduler`` enqueues what is due. In a cluster
every node may run a scheduler: one holds the ``scheduler`` lease (``lawtrace.leases``) and enqueues, the
others stand by and take over when it stops renewing. Beneath the lease, a job's row is claimed under a row lock
(SKIP LOCKED) and moved to its next time in the same transaction that enqueues it, and a job whose previous run has
not finished is not enqueued again; so even two schedulers that both believe they hold the lease (one paused past
its expiry) fire each job once per period, and never twice at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks.exceptions import TaskResultDoesNotExist

from lawtrace.models import ScheduledJob


@dataclass(frozen=True)
class Job:
    task: Task
    every: Callable[[], dt.timedelta]  # read at run time, so settings changes apply without a restart


JOBS: dict[str, Job] = {}
UNFINISHED = {TaskResultStatus.READY, TaskResultStatus.RUNNING}


def register(name: str, task: Task, every: Callable[[], dt.timedelta]) -> None:
    JOBS[name] = Job(task, every)


def run_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every registered job that is due; return the names enqueued."""
    now = now or timezone.now()
    for name in JOBS:
        ScheduledJob.objects.get_or_create(name=name, defaults={"next_run_at": now})
    enqueued = []
    with transaction.atomic():
        due = ScheduledJob.objects.select_for_update(skip_locked=True).filter(name__in=JOBS, next_run_at__lte=now)
        for row in due:
            job = JOBS[row.name]
            if row.last_result_id and _still_running(job.task, row.last_result_id):
                continue
            result = job.task.enqueue()
            row.last_result_id = str(result.id)
            row.last_enqueued_at = now
            row.next_run_at = now + job.every()
            row.save(update_fields=["last_result_id", "last_enqueued_at", "next_run_at"])
            enqueued.append(row.name)
    return enqueued


def _still_running(task: Task, result_id: str) -> bool:
    try:
        return task.get_result(result_id).status in UNFINISHED
    except (TaskResultDoesNotExist, NotImplementedError):
        # Gone from the result store, or a backend that runs tasks at once and keeps no results: finished.
        return False
