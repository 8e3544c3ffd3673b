"""``/metrics`` in the Prometheus text format.

Two kinds of figures. Counters of this machine's processes (responses by status, upload bytes received, originals
filed and their bytes): with ``PROMETHEUS_MULTIPROC_DIR`` set (deploy/systemd sets it) the web server's processes
and the task worker on the same machine add theirs up in that directory, and Prometheus sums the machines. And
cluster-wide figures read from the database at scrape time (queue length and age, failed tasks, ledger size and
checkpoint age), the same on every node.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily

disable_created_metrics()  # the *_created series only double what Prometheus learns from counter resets

RESPONSES = Counter("lawtrace_http_responses", "HTTP responses by status class", ["status_class"])
UPLOAD_BYTES = Counter("lawtrace_upload_received_bytes", "Bytes of resumable uploads received by this machine")
INGESTED = Counter("lawtrace_ingest_records", "Originals filed by this machine's processes")
INGESTED_BYTES = Counter("lawtrace_ingest_bytes", "Bytes of originals filed by this machine's processes")


def count_response(status: int) -> None:
    RESPONSES.labels(status_class=f"{status // 100}xx").inc()


def count_ingest(size: int) -> None:
    """Called inside the filing transaction; counts only once it commits."""
    def add() -> None:
        INGESTED.inc()
        INGESTED_BYTES.inc(size)

    transaction.on_commit(add)


class DatabaseCollector:
    """Figures shared by the whole cluster, read when Prometheus scrapes."""

    def collect(self):
        from ledger.queries import last_checkpoint_at

        now = timezone.now()
        if settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db"):
            from django.db.models import Count, Min
            from django_tasks_db.models import DBTaskResult

            ready = GaugeMetricFamily("lawtrace_tasks_ready", "Tasks waiting for a worker", labels=["queue"])
            age = GaugeMetricFamily("lawtrace_tasks_oldest_ready_age_seconds",
                                    "How long the oldest waiting task has waited", labels=["queue"])
            for row in (DBTaskResult.objects.ready().values("queue_name")
                        .annotate(n=Count("id"), oldest=Min("enqueued_at"))):
                ready.add_metric([row["queue_name"]], row["n"])
                age.add_metric([row["queue_name"]], (now - row["oldest"]).total_seconds())
            yield ready
            yield age
            by_status = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")))
            yield GaugeMetricFamily("lawtrace_tasks_running", "Tasks being run by a worker",
                                    value=by_status.get("RUNNING", 0))
            yield GaugeMetricFamily("lawtrace_tasks_failed", "Task results that ended in an error (kept rows)",
                                    value=by_status.get("FAILED", 0))
        from ledger.models import LedgerHead

        size = LedgerHead.objects.values_list("size", flat=True).first() or 0
        yield GaugeMetricFamily("lawtrace_ledger_events", "Events in the ledger", value=size)
        signed = last_checkpoint_at()
        if signed is not None:
            yield GaugeMetricFamily("lawtrace_ledger_checkpoint_age_seconds", "Age of the newest signed checkpoint",
                                    value=(now - signed).total_seconds())


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    # Who may scrape is the route's declaration (``authz.routes.MONITOR``, lawtrace/urls.py).
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (RESPONSES, UPLOAD_BYTES, INGESTED, INGESTED_BYTES):
            registry.register(collector)
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
