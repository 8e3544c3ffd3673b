"""Database bytes per event, record and stored object on PostgreSQL, for docs/capacity.md.

    DATABASE_URL=postgres://…/empty_db .venv/bin/python bench/rows.py      # BENCH_RECORDS=1000 BENCH_VIEWS=20

Files BENCH_RECORDS small photos through the one ingest path (local store in a scratch directory), views each
BENCH_VIEWS times (a view event each, as the viewing page writes), signs checkpoints, then reads the size of each
table with its indexes (pg_total_relation_size) and divides by its rows. Prints last
``event_bytes= record_bytes= blob_bytes= node_bytes= events_per_record=``.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = int(os.environ.get("BENCH_RECORDS", "1000"))
VIEWS = int(os.environ.get("BENCH_VIEWS", "20"))


def main() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to an empty PostgreSQL database")
    scratch = tempfile.mkdtemp(prefix="lawtrace-rows.")
    os.environ.update(LAWTRACE_DATA_DIR=scratch, DJANGO_SETTINGS_MODULE="lawtrace.settings",
                      LAWTRACE_LOG_LEVEL="WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from evidence.ingest import Origin, ingest_file
    from evidence.services import record_view
    from evidence.synthetic import make_photo
    from ledger.checkpoints import make_checkpoint
    from ledger.events import RequestContext
    from tests.factories import AgencyFactory, officer

    call_command("migrate", verbosity=0, interactive=False)
    user = officer(AgencyFactory())
    origin = Origin(agency=user.agency, channel="upload", ingested_by=user, officer=user,
                    context=RequestContext(request_id="bench-rows", client_address="10.1.2.3"))
    started = time.monotonic()
    taken = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    records = []
    for number in range(RECORDS):
        # Distinct content for each (the shooting time differs), or the store would keep one copy.
        photo = make_photo(Path(scratch) / f"p{number}.jpg", taken=taken + dt.timedelta(seconds=number))
        records.append(ingest_file(photo, f"现场照片{number:05d}.jpg", origin).record)
        photo.unlink()
    context = RequestContext(request_id="0123456789abcdef0123456789abcdef", client_address="10.1.2.3")
    for _ in range(VIEWS):
        for record in records:
            with transaction.atomic():
                record_view(record, actor=user, context=context, grant_id=None, review_id=None)
        make_checkpoint()
    elapsed = time.monotonic() - started
    sizes = {}
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        for key, table in (("event", "ledger_event"), ("record", "evidence_record"), ("blob", "evidence_blob"),
                           ("node", "ledger_merklenode")):
            cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")  # noqa: S608
            rows, size = cursor.fetchone()
            sizes[key] = (rows, size / max(rows, 1))
            print(f"{table}: {rows} rows, {size} bytes", file=sys.stderr)
    print(f"filed and viewed in {elapsed:.0f} s", file=sys.stderr)
    print(f"event_bytes={sizes['event'][1]:.0f} record_bytes={sizes['record'][1]:.0f} "
          f"blob_bytes={sizes['blob'][1]:.0f} node_bytes={sizes['node'][1]:.0f} "
          f"events_per_record={sizes['event'][0] / max(RECORDS, 1):.1f}")


if __name__ == "__main__":
    main()
