"""``/healthz``: can this node serve, and is the cluster's background work keeping up?

The proxy takes a node out when the answer is 503: the database or the object store cannot be reached from it, or
its disk is nearly full. Slow background work (the task queue, checkpoint signing) is a warning for monitoring, not
a reason to take a web node out: every node shares the same queue, so pulling nodes would not help.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

OK, WARN, FAIL = "ok", "warn", "fail"
PROBE_TIMEOUT_SECONDS = 3


@dataclass
class Check:
    status: str
    detail: dict = field(default_factory=dict)


def _timed(probe: Callable[[], dict]) -> Check:
    started = time.monotonic()
    try:
        detail = probe()
    except Exception as exc:  # noqa: BLE001 — any failure of a dependency is the answer, not a crash
        return Check(FAIL, {"error": f"{type(exc).__name__}: {exc}"[:300]})
    detail["ms"] = round((time.monotonic() - started) * 1000, 1)
    return Check(detail.pop("status", OK), detail)


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


@cache
def _quick_s3_client():
    """A client that gives up within seconds: a health probe must answer before the proxy's own timeout."""
    import boto3
    from botocore.config import Config

    s3 = settings.EVIDENCE_S3
    return boto3.client(
        "s3", endpoint_url=s3["endpoint"] or None, aws_access_key_id=s3["access_key"] or None,
        aws_secret_access_key=s3["secret_key"] or None, region_name=s3["region"],
        config=Config(s3={"addressing_style": "path"}, connect_timeout=PROBE_TIMEOUT_SECONDS,
                      read_timeout=PROBE_TIMEOUT_SECONDS, retries={"max_attempts": 1, "mode": "standard"}),
    )


def _store() -> dict:
    if settings.EVIDENCE_STORE == "s3":
        _quick_s3_client().head_bucket(Bucket=settings.EVIDENCE_S3["bucket"])
        buckets = [settings.EVIDENCE_S3["bucket"]]
        if settings.EVIDENCE_UPLOAD_STORE == "s3":
            from botocore.exceptions import ClientError

            try:
                _quick_s3_client().head_bucket(Bucket=settings.EVIDENCE_S3_UPLOAD_BUCKET)
                buckets.append(settings.EVIDENCE_S3_UPLOAD_BUCKET)
            except ClientError as exc:
                # Made by the first upload; reachable and merely absent is no reason to take the node out.
                if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                    raise
        return {"backend": "s3", "buckets": buckets}
    # A fresh install has stored nothing yet: the directory is made as the first commit would make it.
    staging = Path(settings.EVIDENCE_STORE_DIR) / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    probe = staging / f"health-{time.monotonic_ns()}"
    probe.write_bytes(b"")  # the directory takes new objects, not only exists
    probe.unlink()
    return {"backend": "local"}


def _queue() -> dict:
    if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db"):
        return {"backend": settings.TASKS["default"]["BACKEND"]}
    from django_tasks_db.models import DBTaskResult

    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return {"status": WARN if age > settings.HEALTH_QUEUE_WARN_SECONDS else OK, "ready": ready.count(),
            "oldest_age_s": round(age, 1)}


def _checkpoint() -> dict:
    from ledger.queries import last_checkpoint_at

    signed = last_checkpoint_at()
    if signed is None:
        return {"status": WARN, "age_s": None}
    age = (timezone.now() - signed).total_seconds()
    # Three missed rounds of signing means the scheduler or every worker is down.
    late = dt.timedelta(minutes=3 * settings.LEDGER_CHECKPOINT_MINUTES).total_seconds()
    return {"status": WARN if age > late else OK, "age_s": round(age, 1)}


def _disk() -> dict:
    places = {"data": settings.DATA_DIR}
    if settings.EVIDENCE_STORE == "local":
        places["store"] = settings.EVIDENCE_STORE_DIR
    if settings.EVIDENCE_UPLOAD_STORE == "local":
        places["uploads"] = settings.EVIDENCE_UPLOAD_DIR
    free = {}
    for name, path in places.items():
        existing = Path(path)
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        free[name] = shutil.disk_usage(existing).free // (1 << 20)
    low = min(free.values()) < settings.HEALTH_MIN_FREE_MB
    return {"status": FAIL if low else OK, "free_mb": free, "min_free_mb": settings.HEALTH_MIN_FREE_MB}


CHECKS: dict[str, Callable[[], dict]] = {
    "database": _database, "store": _store, "queue": _queue, "checkpoint": _checkpoint, "disk": _disk,
}


def run_checks() -> dict:
    results = {name: _timed(probe) for name, probe in CHECKS.items()}
    # Without a database the queue and checkpoint cannot be read either; only the database and store fail a node.
    for name in ("queue", "checkpoint"):
        if results[name].status == FAIL:
            results[name].status = WARN
    statuses = {check.status for check in results.values()}
    overall = FAIL if FAIL in statuses else WARN if WARN in statuses else OK
    return {"status": overall, "checks": {name: {"status": c.status, **c.detail} for name, c in results.items()}}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    report = run_checks()
    return JsonResponse(report, status=503 if report["status"] == FAIL else 200,
                        json_dumps_params={"ensure_ascii": False})
