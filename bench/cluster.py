"""Cluster test on loopback: PostgreSQL, a SeaweedFS cluster (1 master, 2 volume servers, filer, S3 gateway with
Object Lock), 2 web nodes behind nginx (the site in deploy/nginx, TLS, round robin), 2 workers and the scheduler,
all started from the deploy/ files.

Parallel resumable uploads (every chunk a request of its own, so one upload's chunks reach both nodes) and
concurrent viewers streaming with Range requests run while, mid-run, one web node, one worker and one volume server
are killed with SIGKILL (the volume server comes back after a few seconds, as its service manager would restart it;
the web node and the worker stay dead, as a machine that is lost). Clients retry as browsers and players do: an
upload asks the offset again and resumes, a player asks the range again.

Afterwards: every upload filed exactly once with the right SHA-256 and SM3, the ledger verifies, every stored object
passes fixity. Prints last:

    uploads_ok=<n> upload_errors=<n> viewers_ok=<n> viewer_errors=<n> lost=<n> p95_first_byte_ms=<n> verify=ok|fail

Sizes are scaled to this 2-core machine (the issue's 50-200 MB uploads as 2-8 MB by default), counts are not;
clients arrive over the first ten seconds. Figures for docs/capacity.md go to stderr (lines "capacity: …").
``--small`` is the form ``make test`` runs: 2 uploads, 10 viewers, one kill (the web node).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import secrets
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.append(str(HERE))  # after the project: bench/ledger.py must not shadow the ledger app
sys.path.insert(0, str(ROOT))

from cluster_clients import PASSWORD, Browser, Media, Tally, upload, view  # noqa: E402
from cluster_nodes import Cluster, free_port  # noqa: E402


def make_media(directory: Path, count: int, smallest: int, largest: int, seed: int) -> list[Media]:
    """Distinct, playable MP4 files of the sizes asked: one short clip, each copy padded with a 'free' box of random
    bytes (a box players skip), so every file is a different original."""
    from evidence.synthetic import make_video

    directory.mkdir(parents=True, exist_ok=True)
    base = make_video(directory / "base.mp4", seconds=2).read_bytes()
    rng = random.Random(seed)
    files = []
    for number in range(count):
        size = rng.randint(smallest, largest)
        padding = max(size - len(base) - 8, 16)
        path = directory / f"clip-{number:03d}.mp4"
        sha, sm3 = hashlib.sha256(), hashlib.new("sm3")
        with open(path, "wb") as out:
            for piece in (base, struct.pack(">I", padding + 8) + b"free"):
                out.write(piece)
                sha.update(piece)
                sm3.update(piece)
            left = padding
            while left:
                piece = rng.randbytes(min(left, 1 << 20))
                out.write(piece)
                sha.update(piece)
                sm3.update(piece)
                left -= len(piece)
        files.append(Media(path, path.stat().st_size, sha.hexdigest(), sm3.hexdigest()))
    return files


def _kill_worker_mid_filing(cluster: Cluster, tally: Tally, name: str, wait: float = 15) -> None:
    """Kill the worker while it files an upload, if it is caught at it within ``wait`` seconds."""
    from django_tasks_db.models import DBTaskResult

    worker_id = f"{os.uname().nodename}-{name[-1]}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        busy = DBTaskResult.objects.filter(status="RUNNING", task_path="evidence.tasks.file_upload",
                                           worker_ids__contains=[worker_id]).exists()
        if busy:
            break
        time.sleep(0.1)
    cluster.kill(name)
    tally.note(f"killed {name} (kill -9){' while it filed an upload' if busy else ''}")


def chaos(cluster: Cluster, tally: Tally, total: int, plan: list[str], finished: threading.Event) -> None:
    """Kills at fixed shares of the upload volume: the web node at 25 %, the worker at 45 %, a volume server at 60 %
    (restarted 5 s later)."""
    import seaweed_cluster

    steps = {"web": 0.25, "worker": 0.45, "volume": 0.60}
    for step in plan:
        while tally.uploaded_bytes < steps[step] * total and not finished.is_set():
            time.sleep(0.05)
        if finished.is_set():
            tally.note(f"uploads finished before the {step} kill")
            return
        if step == "web":
            cluster.kill("web1")
            tally.note("killed web1 (kill -9)")
        elif step == "worker":
            _kill_worker_mid_filing(cluster, tally, "worker1")
        else:
            seaweed_cluster.kill_volume(cluster.s3_dir, 2)
            tally.note("killed volume server 2 (kill -9)")
            time.sleep(5)
            seaweed_cluster.start_volume(cluster.s3_dir, 2)
            tally.note("volume server 2 restarted")


def setup_people(uploaders: int) -> tuple[list[str], str]:
    from org.models import User
    from tests.factories import AgencyFactory, officer

    agency = AgencyFactory()
    names = []
    for number in range(uploaders):
        user = officer(agency, username=f"uploader{number}")
        names.append(user.username)
    viewer = officer(agency, username="viewer")
    for user in User.objects.filter(username__in=[*names, viewer.username]):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return names, viewer.username


def seed_records(viewer: str, media: list[Media]) -> list[int]:
    """The recordings viewers watch: filed before the run through the one ingest path."""
    from evidence.ingest import Origin, ingest_file
    from org.models import User

    user = User.objects.get(username=viewer)
    origin = Origin(agency=user.agency, channel="upload", ingested_by=user, officer=user)
    return [ingest_file(item.path, item.path.name, origin).record.pk for item in media]


def viewing_copies(record_ids: list[int], timeout: float = 300) -> dict[int, bytes]:
    """What viewers are streamed: the playback copy the workers make of each recording, never the original's bytes
    (000/1/4: viewing is not copying)."""
    from evidence import derivatives
    from evidence.models import Record
    from evidence.store import store_named

    copies: dict[int, bytes] = {}
    deadline = time.monotonic() + timeout
    while len(copies) < len(record_ids) and time.monotonic() < deadline:
        for record in Record.objects.filter(pk__in=set(record_ids) - set(copies)):
            made = derivatives.viewing_copy(record)
            if made is not None:
                blob = made[0]
                copies[record.pk] = b"".join(store_named(blob.backend).read_range(derivatives.stored_object(blob)))
        time.sleep(0.5)
    if len(copies) < len(record_ids):
        raise RuntimeError(f"no viewing copy made within {timeout:.0f} s for records {set(record_ids) - set(copies)}")
    return copies


def session_cookies(username: str) -> dict[str, str]:
    """A logged-in session of its own for one client, as Django's test client's force_login makes it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from org.models import User

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {"sessionid": session.session_key, "csrftoken": secrets.token_hex(16)}


def wait_filed(session_ids: list[str], timeout: float) -> None:
    from evidence.models import UploadSession

    deadline = time.monotonic() + timeout
    open_states = [UploadSession.State.RECEIVING, UploadSession.State.RECEIVED]
    while time.monotonic() < deadline:
        if not UploadSession.objects.filter(pk__in=session_ids, state__in=open_states).exists():
            return
        time.sleep(1)


def check_uploads(results: list[tuple[Media, str, bool]]) -> tuple[int, int, int]:
    from evidence.models import Record, UploadSession

    ok = errors = lost = 0
    for media, session_id, completed in results:
        if not completed:
            errors += 1
            continue
        session = UploadSession.objects.filter(pk=session_id).select_related("record__blob").first()
        filed = (session is not None and session.state == UploadSession.State.FILED and session.record is not None
                 and session.record.blob.sha256 == media.sha256 and session.record.blob.sm3 == media.sm3
                 and session.record.blob.size == media.size
                 and Record.objects.filter(blob__sha256=media.sha256).count() == 1)
        ok += filed
        lost += not filed
        if not filed:
            print(f"lost {media.path.name}: {_why(session)}", file=sys.stderr)
    return ok, errors, lost


def _why(session) -> str:
    from django_tasks_db.models import DBTaskResult

    if session is None:
        return "no upload session"
    tasks = DBTaskResult.objects.filter(task_path="evidence.tasks.file_upload",
                                        args_kwargs__args=[str(session.pk)])
    states = ", ".join(f"{t.status} on {','.join(t.worker_ids) or '-'}" for t in tasks)
    return f"session {session.state} ({session.message or 'no message'}); filing task: {states or 'none'}"


def verify_all(expected_records: int) -> tuple[bool, str]:
    from evidence.fixity import check
    from evidence.models import Blob, FixityCheck, Record
    from ledger.verification import verify_ledger

    report = verify_ledger()
    damaged = [blob.sha256[:12] for blob in Blob.objects.all()
               if check(blob, rate=float(1 << 40)).outcome != FixityCheck.Outcome.INTACT]
    records = Record.objects.count()
    problems = [p.message for p in report.problems[:3]] + [f"fixity: {d}" for d in damaged[:3]]
    if records != expected_records:
        problems.append(f"{records} records, expected {expected_records}")
    return report.passed and not damaged and records == expected_records, "; ".join(problems)


def timeline(tally: Tally, origin: float, step: float = 15) -> None:
    """First-byte times by stretch of the run, so the effect of each kill can be read."""
    buckets: dict[int, list[float]] = {}
    for at, waited in zip(tally.first_bytes_at, tally.first_bytes_ms, strict=True):
        buckets.setdefault(int((at - origin) // step), []).append(waited)
    for bucket in sorted(buckets):
        values = buckets[bucket]
        tally.note(f"  {bucket * step:4.0f}-{(bucket + 1) * step:.0f} s: {len(values)} ranges, first byte p50 "
                   f"{percentile(values, 0.5):.0f} ms, p95 {percentile(values, 0.95):.0f} ms")


def idle_first_bytes(port: int, cluster: Cluster, viewer: str, record_id: int, original: bytes) -> list[float]:
    browser = Browser(port, cluster.cert, session_cookies(viewer))
    tally = Tally()
    view(browser, record_id, original, 20, 256 << 10, tally, _NO_WAIT, time.monotonic() + 120)
    return tally.first_bytes_ms


class _Immediate:
    def wait(self, _seconds: float) -> bool:
        return True


_NO_WAIT = _Immediate()


def measure(tally: Tally, uploaded: int, load_seconds: float, ranges: int) -> None:
    """Figures docs/capacity.md extrapolates from: rows and bytes per event and record, events per action,
    throughput of the load and of filing."""
    from django.db import connection
    from django.db.models import Count, F, Sum
    from django_tasks_db.models import DBTaskResult

    from ledger.models import Event

    with connection.cursor() as cursor:
        for table in ("ledger_event", "ledger_merklenode", "evidence_record", "evidence_blob", "django_session",
                      "django_tasks_database_dbtaskresult"):
            cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")  # noqa: S608
            rows, size = cursor.fetchone()
            tally.note(f"capacity: {table} {rows} rows, {size / max(rows, 1):.0f} bytes per row with indexes")
    verbs = dict(Event.objects.values_list("verb").annotate(n=Count("seq")).order_by())
    tally.note(f"capacity: events by action {dict(sorted(verbs.items(), key=lambda kv: -kv[1])[:8])}")
    filing = DBTaskResult.objects.filter(task_path="evidence.tasks.file_upload", status="SUCCESSFUL").aggregate(
        seconds=Sum(F("finished_at") - F("started_at")))
    busy = filing["seconds"].total_seconds() if filing["seconds"] else 0
    tally.note(f"capacity: uploads received {uploaded / load_seconds / (1 << 20):.1f} MiB/s over {load_seconds:.0f} s;"
               f" filing {uploaded / max(busy, 0.001) / (1 << 20):.1f} MiB/s per busy worker "
               f"({busy:.0f} worker-seconds); {ranges / load_seconds:.1f} ranges/s streamed")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(args: argparse.Namespace, cluster: Cluster) -> str:
    started = time.monotonic()
    cluster.start_postgres()
    cluster.start_seaweedfs()
    https_port = free_port()
    os.environ.update(cluster.base_env(https_port, secrets.token_urlsafe(48)))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lawtrace.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from evidence.store import default_store

    # The bucket first, locked: the key statement and checkpoints are published to it as soon as they exist, and
    # a bucket that a first write made on the fly has no Object Lock.
    default_store().ensure_bucket()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("ledger", "keygen", stdout=io.StringIO())
    call_command("collectstatic", verbosity=0, interactive=False)
    uploaders, viewer = setup_people(min(args.uploads, 10))
    media = make_media(cluster.root / "media", args.uploads, args.min_mb << 20, args.max_mb << 20, seed=1)
    seeds = make_media(cluster.root / "seeds", args.seeds, 1 << 20, 3 << 20, seed=2)
    seed_ids = seed_records(viewer, seeds)
    for number in (1, 2):
        cluster.start_web(f"web{number}")
    for number in (1, 2):
        cluster.start_worker(f"worker{number}", str(number))
    cluster.start_scheduler("scheduler")
    cluster.start_proxy()
    cluster.wait_healthy()
    originals = viewing_copies(seed_ids)
    tally = Tally()
    tally.note(f"cluster up in {time.monotonic() - started:.0f} s: nginx https://127.0.0.1:{https_port}, "
               f"web nodes {sorted(cluster.web_ports.values())}, S3 {cluster.endpoint}")

    # Logging in through the page works through the proxy (CSRF over HTTPS, Secure cookies) …
    Browser(https_port, cluster.cert).login(uploaders[0])
    # … and every client then has a session of its own, as every browser does, made without 250 password hashes.
    upload_cookies = [session_cookies(uploaders[i % len(uploaders)]) for i in range(len(media))]
    viewer_cookies = [session_cookies(viewer) for _ in range(args.viewers)]

    deadline = time.monotonic() + args.load_seconds
    finished = threading.Event()
    results: list[tuple[Media, str, bool]] = []
    viewer_outcomes: list[bool] = []
    total = sum(item.size for item in media)

    def uploader(index: int, item: Media) -> None:
        time.sleep(args.ramp_seconds * index / max(len(media), 1))
        browser = Browser(https_port, cluster.cert, upload_cookies[index])
        try:
            session_id, completed = upload(browser, item, args.chunk_kb << 10, tally, deadline)
        except Exception as exc:  # noqa: BLE001
            tally.note(f"upload {item.path.name} gave up: {exc}")
            session_id, completed = "", False
        with tally.lock:
            results.append((item, session_id, completed))

    def watcher(index: int) -> None:
        time.sleep(args.ramp_seconds * index / max(args.viewers, 1))
        browser = Browser(https_port, cluster.cert, viewer_cookies[index])
        record_id = seed_ids[index % len(seed_ids)]
        try:
            outcome = view(browser, record_id, originals[record_id], args.ranges, args.range_kb << 10, tally,
                           finished, deadline)
        except Exception as exc:  # noqa: BLE001
            tally.note(f"viewer {index} gave up: {exc}")
            outcome = False
        with tally.lock:
            viewer_outcomes.append(outcome)

    threads = [threading.Thread(target=uploader, args=(i, item), daemon=True) for i, item in enumerate(media)]
    threads += [threading.Thread(target=watcher, args=(i,), daemon=True) for i in range(args.viewers)]
    killer = threading.Thread(target=chaos, args=(cluster, tally, total, args.kills, finished), daemon=True)
    load_started = time.monotonic()
    for thread in threads:
        thread.start()
    killer.start()
    for thread in threads[:len(media)]:
        thread.join()
    finished.set()
    for thread in threads[len(media):]:
        thread.join()
    killer.join(timeout=30)
    tally.note(f"load done in {time.monotonic() - load_started:.0f} s; {tally.retries} requests retried by clients")

    load_seconds = time.monotonic() - load_started
    timeline(tally, load_started)
    idle = idle_first_bytes(https_port, cluster, viewer, seed_ids[0], originals[seed_ids[0]])
    tally.note(f"idle (one client after the load): first byte p50 {percentile(idle, 0.5):.0f} ms, "
               f"p95 {percentile(idle, 0.95):.0f} ms")
    wait_filed([sid for _m, sid, _c in results if sid], args.filing_seconds)
    ok, errors, lost = check_uploads(results)
    passed, problems = verify_all(len(seed_ids) + ok)
    if problems:
        tally.note(f"verification: {problems}")
    measure(tally, total, load_seconds, len(tally.first_bytes_ms))
    tally.note(f"total {time.monotonic() - started:.0f} s")
    viewers_ok = sum(viewer_outcomes)
    return (f"uploads_ok={ok} upload_errors={errors} viewers_ok={viewers_ok} "
            f"viewer_errors={len(viewer_outcomes) - viewers_ok} lost={lost} "
            f"p95_first_byte_ms={percentile(tally.first_bytes_ms, 0.95):.0f} verify={'ok' if passed else 'fail'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="2 uploads, 10 viewers, one kill (make test)")
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--min-mb", type=int, default=2, help="smallest upload (the issue's 50 MB, scaled)")
    parser.add_argument("--max-mb", type=int, default=8, help="largest upload (the issue's 200 MB, scaled)")
    parser.add_argument("--chunk-kb", type=int, default=2048, help="bytes per PATCH request")
    parser.add_argument("--seeds", type=int, default=8, help="recordings the viewers watch")
    parser.add_argument("--ranges", type=int, default=6, help="Range requests per viewer")
    parser.add_argument("--range-kb", type=int, default=256)
    parser.add_argument("--load-seconds", type=int, default=360, help="clients give up after this")
    parser.add_argument("--filing-seconds", type=int, default=120, help="wait this long for filing afterwards")
    parser.add_argument("--ramp-seconds", type=float, default=10,
                        help="clients arrive spread over this long, as people do, not in one instant")
    parser.add_argument("--keep", action="store_true", help="keep the run's directory (logs) afterwards")
    args = parser.parse_args()
    args.kills = ["web", "worker", "volume"]
    if args.small:
        args.uploads, args.viewers, args.min_mb, args.max_mb = 2, 10, 1, 2
        args.chunk_kb, args.seeds, args.ranges, args.kills = 256, 2, 3, ["web"]
        args.load_seconds, args.filing_seconds, args.ramp_seconds = 180, 90, 2
    root = Path(tempfile.mkdtemp(prefix="lawtrace-cluster."))
    root.chmod(0o711)  # PostgreSQL runs as its own user below it
    cluster = Cluster(root)

    def interrupted(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    try:
        line = run(args, cluster)
    finally:
        cluster.stop()
        if args.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(line, flush=True)


if __name__ == "__main__":
    main()
