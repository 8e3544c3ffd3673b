"""City-scale pages benchmark (issue 27): the archivist's pages over a large agency, at a tenth of the data and in full.

    .venv/bin/python bench/pages.py                               # 200,000 records, 300,000 ledger events, SQLite
    BENCH_SCALE=0.1 .venv/bin/python bench/pages.py                # a quick run
    BENCH_DATABASE_URL=postgres://… .venv/bin/python bench/pages.py   # an empty PostgreSQL database instead
    BENCH_KEEP=1 …                                                     # keep the SQLite file afterwards

Builds a tenth of the data in bulk (records with their stored objects and retention schedules, register events
through the ledger's own append), times each page, builds the rest and times them again: the baseline is the same
page at a tenth of the rows, in the same run, so the ratio says whether a page grows with the data. The last line is
``records= events= <page>_ms=… <page>_ratio=… max_page_ms= max_ratio=``; pages: the access register for one week
(screen), the register PDF for one day, the register .xlsx for one week, the archivist's dashboard, the evidence list's
first and last page, the evidence list filtered by officer and recording dates. Then it prints the register of the
latest ``BENCH_PDF_ROWS`` (20,000) entries through the job path (the page queues it, a separate process runs the job
as a worker would) and adds ``register_pdf_rows= register_pdf_s=<wall, from asking to ready> register_pdf_peak_mb=<peak
RSS of the process that made it> register_pdf_pages= register_pdf_cpu_s= register_pdf_cpu_ms_per_row=``;
``BENCH_PDF_ROWS=0`` leaves it out.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = tempfile.mkdtemp(prefix="lawtrace-bench-")
os.environ.update(LAWTRACE_DATA_DIR=DATA, DJANGO_SETTINGS_MODULE="lawtrace.settings", LAWTRACE_LOG_LEVEL="WARNING",
                  DATABASE_URL=os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{DATA}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

settings.MFA_REQUIRED_ROLES = []  # the bench signs in without a second factor: pages are timed, not the login

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from evidence.models import Blob, Record  # noqa: E402
from ledger.events import append_events  # noqa: E402
from ledger.models import Event  # noqa: E402
from org.services import create_agency, create_staff, create_unit  # noqa: E402
from policy.registry import registry  # noqa: E402
from retention.models import Schedule  # noqa: E402

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
RECORDS = int(200_000 * SCALE)
EVENTS = int(300_000 * SCALE)
CHUNK = 5000
DAYS = 365
PASSWORD = "Bench-2026-password"
PDF_ROWS = int(os.environ.get("BENCH_PDF_ROWS", "20000"))
# The job as a worker runs it, in a process of its own, reporting its peak RSS (ru_maxrss is in KiB on Linux).
JOB = """
import os, resource, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lawtrace.settings")
import django
django.setup()
from printing.services import make
job = make(int(sys.argv[1]))
used = resource.getrusage(resource.RUSAGE_SELF)
print(job.state, job.done_rows, job.pages, used.ru_maxrss // 1024, used.ru_utime + used.ru_stime)
"""


class World:
    def __init__(self) -> None:
        self.rng = random.Random(20261202)
        self.agency = create_agency(code="bench", name="基准测试局", pack_code=registry().codes()[0])
        self.units = [create_unit(self.agency, name=f"第{i}执法股") for i in range(5)]
        self.officers = [create_staff(self.agency, username=f"officer{i}", full_name=f"执法员{i}", password=PASSWORD,
                                      unit=self.units[i % 5], roles=("officer",)) for i in range(50)]
        self.archivist = create_staff(self.agency, username="archivist", full_name="档案员", password=PASSWORD,
                                      roles=("archivist",))
        from devices.models import Device

        self.devices = [Device.objects.create(agency=self.agency, unit=self.units[i % 5], kind="body_camera",
                                              brand="海康威视", model="DSJ-A8", serial=f"B{i:05d}") for i in range(50)]
        self.records = self.events = 0
        self.end = timezone.now()
        self.start = self.end - dt.timedelta(days=DAYS)

    def moment(self, number: int, total: int) -> dt.datetime:
        return self.start + dt.timedelta(seconds=DAYS * 86400 * number / total)

    def add_records(self, upto: int) -> None:
        today = timezone.localdate()
        while self.records < upto:
            n = min(CHUNK, upto - self.records)
            with transaction.atomic():
                blobs = [Blob(sha256=f"{self.records + i:064x}", sm3=f"{self.records + i:064x}", size=1 << 20,
                              backend="local", key=f"{self.records + i:064x}",
                              fixity_ok=(self.records + i) % 50_000 != 7)
                         for i in range(n)]
                Blob.objects.bulk_create(blobs, batch_size=CHUNK)
                records = []
                for i, blob in enumerate(blobs):
                    who = self.rng.randrange(len(self.officers))
                    begin = self.moment(self.rng.randrange(RECORDS), RECORDS)
                    records.append(Record(
                        agency=self.agency, officer=self.officers[who], device=self.devices[who],
                        unit=self.officers[who].unit, kind="photo" if i % 10 == 9 else "av", blob_id=blob.pk,
                        original_name=f"{blob.sha256[-8:]}.mp4", channel="dump", link_state="unmatched",
                        recorded_start=begin, recorded_end=begin + dt.timedelta(minutes=10),
                        late=self.rng.random() < 0.01, deadline_cite="000/2/13", pack_version=1))
                Record.objects.bulk_create(records, batch_size=CHUNK)
                now = timezone.now()
                Schedule.objects.bulk_create([Schedule(
                    record=r, agency=self.agency, computed_at=now, rules="bench", cites="000/2/15",
                    retain_until=today + dt.timedelta(days=self.rng.randrange(-20, 3650)),
                    computed_until=None) for r in records], batch_size=CHUNK)
            self.records += n
            print(f"\rrecords {self.records}/{upto}", end="", file=sys.stderr)
        print(file=sys.stderr)

    def add_events(self, upto: int) -> None:
        """Register events (a look at a record) among as many other events of the agency, in time order."""
        while self.events < upto:
            n = min(CHUNK, upto - self.events)
            batch = []
            for i in range(self.events, self.events + n):
                verb = "record.view" if i % 2 else "record.classify"
                batch.append(Event(occurred_at=self.moment(i, EVENTS), verb=verb, agency_code=self.agency.code,
                                   result="done", actor=self.officers[i % 50], actor_label=f"执法员{i % 50}",
                                   object_type="evidence.record", object_id=str(i % max(RECORDS, 1) + 1),
                                   object_label=f"执法记录仪视频{i:07d}.mp4", detail={}))
            with transaction.atomic():
                append_events(batch)
            self.events += n
            print(f"\revents {self.events}/{upto}", end="", file=sys.stderr)
        print(file=sys.stderr)


def timed(client: Client, url: str, params: dict, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} {params} answered {response.status_code} {response.get('Location', '')}")
    return statistics.median(timings)


def measure(world: World) -> dict[str, float]:
    client = Client()
    client.force_login(world.archivist)
    last_day = timezone.localtime(world.end).date()
    week = {"since": (last_day - dt.timedelta(days=6)).isoformat(), "until": last_day.isoformat()}
    day = {"since": (last_day - dt.timedelta(days=1)).isoformat(), "until": (last_day - dt.timedelta(days=1))
           .isoformat()}
    pages = Record.objects.filter(agency=world.agency).count() // 25 + 1
    who = world.officers[3]
    found = {
        "register_week": timed(client, "/access/register/", week, 5),
        "register_pdf_day": timed(client, "/access/register/", {**day, "format": "pdf"}, 1),
        "register_xlsx_week": timed(client, "/access/register/", {**week, "format": "xlsx"}, 1),
        "dashboard": timed(client, "/", {}, 5),
        "list_first": timed(client, "/evidence/", {}, 5),
        "list_last": timed(client, "/evidence/", {"page": pages}, 5),
        "list_filtered": timed(client, "/evidence/", {"officer": who.pk, "recorded_from": week["since"],
                                                        "recorded_to": week["until"]}, 5),
    }
    print(" ".join(f"{k}_ms={v:.0f}" for k, v in found.items()), file=sys.stderr)
    return found


def register_pdf(world: World) -> dict[str, float]:
    """The latest ``PDF_ROWS`` register entries (whole days from the day of the oldest) printed through the job."""
    from access.register import register_events
    from printing.models import PrintJob

    while register_events(world.agency.code, None, None).count() < PDF_ROWS:  # a quick scale has fewer looks
        world.add_events(world.events + 2 * CHUNK)
    oldest = register_events(world.agency.code, None, None).order_by("-seq")[PDF_ROWS - 1].occurred_at
    client = Client()
    client.force_login(world.archivist)
    began = time.perf_counter()
    with transaction.atomic():  # the page's on_commit queue is the database's; the job is run below instead
        response = client.get("/access/register/", {"since": timezone.localtime(oldest).date().isoformat(),
                                                    "format": "pdf"})
    if response.status_code != 302:
        raise SystemExit(f"the register PDF was not queued: {response.status_code}")
    job = PrintJob.objects.latest("pk")
    made = subprocess.run([sys.executable, "-c", JOB, str(job.pk)], capture_output=True, text=True, cwd=ROOT,
                          env=os.environ.copy())
    seconds = time.perf_counter() - began
    if made.returncode != 0:
        raise SystemExit(f"the print job failed: {made.stderr[-2000:]}")
    state, rows, pages, peak_mb, cpu = made.stdout.split()[-5:]
    if state != PrintJob.State.READY:
        raise SystemExit(f"the print job ended {state}: {PrintJob.objects.get(pk=job.pk).error}")
    # CPU seconds of the job beside its wall time: on a shared machine the wall time says as much about the
    # neighbours as about the job.
    figures = {"register_pdf_rows": int(rows), "register_pdf_s": seconds, "register_pdf_peak_mb": int(peak_mb),
               "register_pdf_pages": int(pages), "register_pdf_cpu_s": float(cpu),
               "register_pdf_cpu_ms_per_row": 1000 * float(cpu) / max(int(rows), 1)}
    print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()),
          file=sys.stderr)
    return figures


def main() -> None:
    call_command("migrate", verbosity=0)
    setup_test_environment()
    world = World()
    print(f"database: {connection.vendor}", file=sys.stderr)
    world.add_records(RECORDS // 10)
    world.add_events(EVENTS // 10)
    baseline = measure(world)
    world.add_records(RECORDS)
    world.add_events(EVENTS)
    full = measure(world)
    ratios = {k: full[k] / max(baseline[k], 1.0) for k in full}
    figures = " ".join(f"{k}_ms={full[k]:.0f} {k}_ratio={ratios[k]:.2f}" for k in full)
    printed = register_pdf(world) if PDF_ROWS else {}
    pdf = " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in printed.items())
    print(f"records={world.records} events={world.events} {figures} "
          f"max_page_ms={max(v for k, v in full.items() if 'pdf' not in k and 'xlsx' not in k):.0f} "
          f"max_ratio={max(ratios.values()):.2f} {pdf}".rstrip())


if __name__ == "__main__":
    try:
        main()
    finally:
        if not os.environ.get("BENCH_KEEP"):  # BENCH_KEEP=1 keeps the database for EXPLAIN and profiling
            shutil.rmtree(DATA, ignore_errors=True)
