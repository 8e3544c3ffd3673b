"""django-tasks-db's ``db_worker``, with task leases (``lawtrace.leases``): same options, same queue.

Between tasks a worker hands the tasks of dead workers back to the queue; while it runs one, a thread keeps its
lease; and it writes a task's result only while it still holds the lease, so a task taken over is finished by the
worker that took it. Listed before ``django_tasks_db`` in ``INSTALLED_APPS``, this command replaces the original.
"""

from __future__ import annotations

import logging
import os
import random
import time

from django.core.exceptions import SuspiciousOperation
from django.db import OperationalError, close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

from lawtrace import leases

logger = logging.getLogger("django_tasks_db")


class LeasedWorker(db_worker.Worker):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._next_takeover = 0.0
        self._started = False

    def _tasks(self):
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        return tasks

    def _take_over_stale(self) -> None:
        if time.monotonic() < self._next_takeover:
            return
        self._next_takeover = time.monotonic() + max(1.0, leases.lease_length().total_seconds() / 4)
        try:
            leases.take_over_stale(unleased=not self._started)
            self._started = True
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s (task leases %ss)", self.worker_id,
                    ",".join(self.queue_names), int(leases.lease_length().total_seconds()))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 — only spreads start-up of many workers
        while self.running:
            close_old_connections()
            self._take_over_stale()
            retrieved = True
            try:
                task_result = leases.claim_next(self._tasks(), self.worker_id)
            except OperationalError as exc:
                if not is_locked_database_exception(exc):
                    raise
                task_result, retrieved = None, False
            if task_result is not None:
                self.run_task(task_result)
            if self.batch and retrieved and task_result is None:
                logger.info("No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Run maximum tasks (%d) on worker=%s - exiting gracefully.", self._run_tasks,
                            self.worker_id)
                return
            close_old_connections()
            if self.running and not task_result:
                time.sleep(self.interval)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run the task under a renewed lease; write its result only while the lease is still ours."""
        task_id = db_task_result.pk
        try:
            self.running_task = True
            with leases.Heartbeat(task_id, self.worker_id) as beat:
                try:
                    task = db_task_result.task
                    task_result = db_task_result.task_result
                    backend_type = task.get_backend()
                    task_started.send(sender=backend_type, task_result=task_result)
                    if task.takes_context:
                        value = task.call(TaskContext(task_result=task_result), *task_result.args,
                                          **task_result.kwargs)
                    else:
                        value = task.call(*task_result.args, **task_result.kwargs)
                    outcome: tuple[str, object] = ("ok", value)
                except BaseException as exc:  # noqa: BLE001 — recorded on the task, as django-tasks-db does
                    outcome = ("failed", exc)
            kind, value = outcome
            if kind == "failed" and isinstance(value, (KeyboardInterrupt, SystemExit)):
                # Stopped by the operator, not by the task: another worker (or this one, restarted) runs it again.
                leases.give_back(task_id, self.worker_id)
                raise value
            if beat.lost or not leases.holds(task_id, self.worker_id):
                logger.warning("Task id=%s was taken over by another worker; its result is left to that worker",
                               task_id)
                return
            if kind == "ok":
                try:
                    db_task_result.set_successful(value)
                except BaseException as exc:  # noqa: BLE001 — e.g. a return value JSON cannot hold
                    db_task_result.set_failed(exc)
            else:
                db_task_result.set_failed(value)
            leases.finish(task_id, self.worker_id)
            try:
                sender = type(db_task_result.task.get_backend())
                task_finished.send(sender=sender, task_result=db_task_result.task_result)
            except (ImportError, SuspiciousOperation):
                logger.exception("Task id=%s failed unexpectedly", task_id)
        finally:
            self.running_task = False
            self._run_tasks += 1


class Command(db_worker.Command):
    help = "Run a database background worker that keeps task leases and takes over the tasks of dead workers"

    def handle(self, *, verbosity: int, queue_name: str, interval: float, batch: bool, backend_name: str,
               startup_delay: bool, reload: bool, max_tasks: int | None, worker_id: str, exclude_queues: str,
               **options) -> None:
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("Warning: --reload and --batch cannot be specified together. Disabling autoreload.")
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            from django.core.management.base import CommandError

            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LeasedWorker(queue_names=queue_names, interval=interval, batch=batch, backend_name=backend_name,
                              startup_delay=startup_delay, max_tasks=max_tasks, worker_id=worker_id,
                              excluded_queue_names=excluded)
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
