"""Ledger benchmark on SQLite: prints key=value figures, the last line as the issue specifies.

    .venv/bin/python bench/ledger.py            # 1,000,000 events (several minutes)
    BENCH_EVENTS=50000 .venv/bin/python bench/ledger.py
"""

from __future__ import annotations

import hashlib
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
from django.utils import timezone  # noqa: E402
from lawtrace_verify import merkle  # noqa: E402
from lawtrace_verify.canonical import canonical_bytes  # noqa: E402

from ledger import tree  # noqa: E402
from ledger.events import append_events, event_fields, record_event  # noqa: E402
from ledger.models import Event  # noqa: E402
from ledger.verification import verify_ledger  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", "1000000"))
BATCH = 1000
SINGLE_TX = 2000


def _event(i: int) -> Event:
    return Event(occurred_at=timezone.now(), verb="evidence.view", actor_label=f"officer{i % 50}",
                 agency_code="lushan-finance", object_type="evidence.recording", object_id=str(i % 90000),
                 object_label=f"执法记录仪视频 {i}", request_id=f"{i:032x}", client_address="10.1.2.3",
                 detail={"range": [0, i % 4096], "grant": i % 17})


def main() -> None:
    call_command("migrate", verbosity=0)
    # The batch figure times the ledger's append (sequence, hash, insert, tree, commit), not the caller building
    # its Event objects; the rate with that building included is printed beside it for comparison.
    appending = building = 0.0
    for start in range(0, EVENTS - SINGLE_TX, BATCH):
        began = time.perf_counter()
        batch = [_event(i) for i in range(start, min(start + BATCH, EVENTS - SINGLE_TX))]
        built = time.perf_counter()
        with transaction.atomic():
            append_events(batch)
        appending += time.perf_counter() - built
        building += built - began
    batch_rate = (EVENTS - SINGLE_TX) / appending
    with_building = (EVENTS - SINGLE_TX) / (appending + building)
    print(f"append_batch_per_s={batch_rate:.0f} with_building_per_s={with_building:.0f}", file=sys.stderr)

    started = time.perf_counter()
    for i in range(SINGLE_TX):
        with transaction.atomic():
            record_event("evidence.view", obj=None, detail={"i": i})
    tx_rate = SINGLE_TX / (time.perf_counter() - started)
    print(f"append_tx_per_s={tx_rate:.0f}", file=sys.stderr)

    size = tree.current_size()
    rng = random.Random(9162)
    timings = []
    for _ in range(1000):
        index = rng.randrange(size)
        began = time.perf_counter()
        tree.inclusion_proof(index, size)
        timings.append((time.perf_counter() - began) * 1000)
    proof_ms = statistics.median(timings)

    began = time.perf_counter()
    report = verify_ledger()
    verify_seconds = time.perf_counter() - began
    if not report.passed:
        raise SystemExit(f"verification failed: {report.problems[:3]}")
    verify_mb_s = report.bytes_hashed / verify_seconds / 1e6

    # The same bytes, hashed raw in one pass by the same Python's SHA-256.
    pieces = [canonical_bytes(event_fields(e)) for e in Event.objects.order_by("seq").iterator(10000)]
    joined = b"".join(pieces)
    began = time.perf_counter()
    hashlib.sha256(joined).digest()
    raw_seconds = time.perf_counter() - began
    raw_mb_s = len(joined) / raw_seconds / 1e6

    # What RFC 9162 alone costs over the same bytes, read from memory: a hash per leaf and per node. Verification
    # cannot be faster than this, whatever it reads from; the ratio bounds verify_ratio from above.
    began = time.perf_counter()
    hashing_only = merkle.CompactRange()
    for piece in pieces:
        hashing_only.append(merkle.leaf_hash(piece))
    hashing_only.root()
    ceiling = raw_seconds / (time.perf_counter() - began)

    print(f"events={size} verify_mb_s={verify_mb_s:.1f} raw_sha256_mb_s={raw_mb_s:.1f} "
          f"merkle_hashing_only_ratio={ceiling:.3f}", file=sys.stderr)
    # How close verification comes to that ceiling (issue 23 asks for at least 0.5).
    verify_ratio = verify_mb_s / raw_mb_s
    print(f"append_batch_per_s={batch_rate:.0f} append_tx_per_s={tx_rate:.0f} proof_ms={proof_ms:.3f} "
          f"verify_ratio={verify_ratio:.3f} merkle_hashing_only_ratio={ceiling:.3f} "
          f"verify_vs_ceiling={verify_ratio / ceiling:.3f}")


if __name__ == "__main__":
    main()
