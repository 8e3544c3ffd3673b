"""Compliance benchmark on SQLite: a year of one agency's work, judged in full, and the supervisor's rates page.

    .venv/bin/python bench/compliance.py                          # 100,000 activities, 1,000,000 clips
    BENCH_ACTIVITIES=5000 BENCH_CLIPS_PER_ACTIVITY=10 .venv/bin/python bench/compliance.py

The last line is ``dashboard_ms=<median render of the supervisor's rates page> recompute_per_s=<activities judged
per second in a full recompute>``.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = tempfile.mkdtemp(prefix="lawtrace-bench-")
os.environ.update(LAWTRACE_DATA_DIR=DATA, DATABASE_URL=f"sqlite:///{DATA}/bench.sqlite3",
                  DJANGO_SETTINGS_MODULE="lawtrace.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.models import Activity, ActivityOfficer  # noqa: E402
from compliance.services import recompute_all  # noqa: E402
from devices.models import Device, PreUseCheck  # noqa: E402
from evidence.models import Blob, Record  # noqa: E402
from org.models import Qualification, RoleGrant  # noqa: E402
from org.services import create_agency, create_staff, create_unit  # noqa: E402
from policy import current  # noqa: E402
from policy.registry import registry  # noqa: E402

ACTIVITIES = int(os.environ.get("BENCH_ACTIVITIES", "100000"))


def _exercising(code: str) -> bool:
    """A pack with a usage ledger and pre-use checks, so every check of the engine has work to do."""
    devices = registry().files(code)[0].pack.devices
    return devices is not None and devices.usage_ledger is not None and bool(devices.pre_use_checks)


PACK = os.environ.get("BENCH_PACK") or next(code for code in registry().codes() if _exercising(code))
CLIPS = int(os.environ.get("BENCH_CLIPS_PER_ACTIVITY", "10"))
CHUNK = 2000


def build() -> None:
    rng = random.Random(20261122)
    agency = create_agency(code="bench", name="基准测试局", pack_code=PACK)
    units = [create_unit(agency, name=f"第{i}执法股") for i in range(5)]
    staff = [create_staff(agency, username=f"officer{i}", full_name=f"执法员{i}", password="Bench-2026-password",
                          unit=units[i % 5], roles=["officer"]) for i in range(50)]
    for i, person in enumerate(staff):
        Qualification.objects.create(user=person, kind="enforcement", certificate_number=f"B{i:06d}",
                                     issuer="bench", valid_from=dt.date(2020, 1, 1), valid_until=dt.date(2030, 1, 1))
    devices = [Device.objects.create(agency=agency, unit=units[i % 5], kind="body_camera", brand="海康威视",
                                     model="DSJ-A8", serial=f"B{i:05d}") for i in range(50)]
    rows = current.in_force(agency).checklist
    start_of_year = timezone.now() - dt.timedelta(days=365)
    day_seconds = 365 * 24 * 3600
    blob_seq = 0
    started = time.perf_counter()
    for chunk_start in range(0, ACTIVITIES, CHUNK):
        n = min(CHUNK, ACTIVITIES - chunk_start)
        with transaction.atomic():
            activities = []
            for i in range(n):
                row = rows[(chunk_start + i) % len(rows)]
                begin = start_of_year + dt.timedelta(seconds=rng.randrange(day_seconds))
                activities.append(Activity(agency=agency, category=row.categories[0].value, stage=row.id,
                                           place="测试地点", planned_start=begin,
                                           planned_end=begin + dt.timedelta(minutes=CLIPS * 10), pack_version=1))
            Activity.objects.bulk_create(activities)
            people, blobs, records, checks = [], [], [], []
            for activity in activities:
                who = staff[rng.randrange(len(staff))]
                device = devices[staff.index(who)]
                people.append(ActivityOfficer(activity=activity, user=who, part="officer"))
                if rng.random() < 0.8:
                    checks.append(PreUseCheck(device=device, checked_by=who, passed=True,
                                              checked_at=activity.planned_start - dt.timedelta(minutes=20),
                                              results={}))
                for k in range(CLIPS):
                    blob_seq += 1
                    digest = f"{blob_seq:064x}"
                    blobs.append(Blob(sha256=digest, sm3=digest, size=1 << 20, backend="local", key=digest))
                    gap = dt.timedelta(minutes=5) if rng.random() < 0.02 else dt.timedelta(0)
                    clip_start = activity.planned_start + dt.timedelta(minutes=10 * k) + gap
                    records.append(Record(
                        agency=agency, activity=activity, officer=who, device=device, unit=who.unit,
                        kind="photo" if k == CLIPS - 1 else "av", blob_id=0, original_name=f"{digest[-8:]}.mp4",
                        channel="dump", link_state="auto", recorded_start=clip_start,
                        recorded_end=clip_start + dt.timedelta(minutes=10), late=rng.random() < 0.01,
                        deadline_cite="000/2/13", pack_version=1))
            ActivityOfficer.objects.bulk_create(people)
            PreUseCheck.objects.bulk_create(checks)
            Blob.objects.bulk_create(blobs, batch_size=5000)
            for record, blob in zip(records, blobs, strict=True):
                record.blob_id = blob.pk
            Record.objects.bulk_create(records, batch_size=5000)
        done = chunk_start + n
        print(f"\rbuilding {done}/{ACTIVITIES} activities, {done * CLIPS} clips "
              f"({time.perf_counter() - started:.0f} s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    supervisor = create_staff(agency, username="supervisor", full_name="监督员", password="Bench-2026-password",
                              roles=["supervisor"])
    RoleGrant.objects.get_or_create(user=supervisor, role="supervisor")


def main() -> None:
    call_command("migrate", verbosity=0)
    build()
    started = time.perf_counter()
    progress = lambda done, total: print(f"\rrecompute {done}/{total}", end="", file=sys.stderr)  # noqa: E731
    run = recompute_all(progress=progress)
    first = time.perf_counter() - started
    print(f"\nfirst recompute (every finding new): {run.evaluated} activities in {first:.1f} s "
          f"({run.evaluated / first:.0f}/s), {run.opened} findings opened", file=sys.stderr)
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        with cProfile.Profile() as profile:
            nightly = recompute_all(progress=progress)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        nightly = recompute_all(progress=progress)
    elapsed = time.perf_counter() - started
    print(f"\nnightly recompute: {nightly.evaluated} activities in {elapsed:.1f} s, "
          f"{nightly.opened} opened, {nightly.closed} closed", file=sys.stderr)
    setup_test_environment()
    client = Client()
    from org.models import User

    client.force_login(User.objects.get(username="supervisor"))
    timings = []
    for _ in range(7):
        began = time.perf_counter()
        response = client.get(reverse("compliance_overview"))
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    home = []
    for _ in range(5):
        began = time.perf_counter()
        assert client.get(reverse("dashboard")).status_code == 200
        home.append((time.perf_counter() - began) * 1000)
    print(f"activities={run.evaluated} clips={Record.objects.count()} findings={run.opened} "
          f"home_dashboard_ms={statistics.median(home):.0f}", file=sys.stderr)
    print(f"dashboard_ms={statistics.median(timings):.0f} recompute_per_s={run.evaluated / elapsed:.0f}")


if __name__ == "__main__":
    main()
