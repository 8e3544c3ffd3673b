"""Tamper benchmark (issue 19): random single-byte or single-field tamperings behind the application's back, each
undone after its check; prints key=value figures, the last line as the issue specifies.

    .venv/bin/python bench/tamper.py                     # 1,000 trials on a ledger of 10,000 events
    BENCH_TRIALS=200 BENCH_EVENTS=10000 .venv/bin/python bench/tamper.py

Targets, in proportion: event rows (any column, the leaf included), checkpoint rows, record rows and the rows of
their stored objects, and the stored bytes of originals and derivatives. A database tampering is made inside a
transaction with the triggers lifted and rolled back afterwards; a file is restored from a copy. Detection is what
the system itself does: ``ledger verify`` for rows, the fixity sweep for stored bytes. ``detected`` counts trials
the check failed; ``exact`` those whose report names the tampered row, record or object; ``crashes`` those whose
check raised instead of reporting.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = tempfile.mkdtemp(prefix="lawtrace-tamper-")
os.environ.update(LAWTRACE_DATA_DIR=DATA, DJANGO_SETTINGS_MODULE="lawtrace.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DATA}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError, connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from evidence import derivatives, fixity  # noqa: E402
from evidence.ingest import Origin, ingest_file  # noqa: E402
from evidence.models import Blob, Derivative, FixityCheck, Record  # noqa: E402
from evidence.store import default_store  # noqa: E402
from evidence.synthetic import make_photo  # noqa: E402
from ledger import append_only, checkpoints, publication, tree  # noqa: E402
from ledger.events import append_events  # noqa: E402
from ledger.models import Checkpoint, Event  # noqa: E402
from ledger.verification import verify_ledger  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", "10000"))
TRIALS = int(os.environ.get("BENCH_TRIALS", "1000"))
RECORDS = int(os.environ.get("BENCH_RECORDS", "24"))
SEED = int(os.environ.get("BENCH_SEED", "1919"))
CHECKPOINT_EVERY = 1000
EVENT_COLUMNS = ("seq", "occurred_at", "verb", "result", "actor_id", "actor_label", "agency_code", "object_type",
                 "object_id", "object_label", "request_id", "client_address", "before", "after", "detail", "leaf")
CHECKPOINT_COLUMNS = ("size", "root", "signed_at", "note", "algorithm", "key_id", "signature")
RECORD_COLUMNS = ("original_name", "device_id", "officer_id", "case_id", "recorded_start", "recorded_end",
                  "stored_at", "blob_id")
BLOB_COLUMNS = ("sha256", "sm3", "size")
SUBSTITUTES = "0123456789abcdefxyzXYZ-_.:执法记录"


class Refused(Exception):
    """The database's own constraints refused this tampering: it cannot happen, so it is not a trial."""


class _Undo(Exception):
    pass


@dataclass
class Trial:
    label: str
    expected: set[str]  # refs the report must name (rows) or blob ids (stored bytes)
    apply: Callable[[], None]
    on_disk: Path | None = None


def build() -> None:
    from cases.models import Case
    from devices.services import register_device
    from org.services import create_agency, create_staff

    call_command("migrate", verbosity=0)
    pack = sorted(p.name for p in (ROOT / "policy" / "packs").iterdir())[0]
    agency = create_agency(code="bench", name="基准测试局", pack_code=pack)
    officers = [create_staff(agency, username=f"officer{i}", full_name=f"执法人员{i}", password="Bench-2026-password")
                for i in range(2)]
    device = register_device(agency, kind="body_camera", brand="海康威视", model="DSJ-A7", serial="HK-BENCH-1")
    case = Case.objects.create(agency=agency, number="基准〔2026〕1号", title="基准案件", category="penalty",
                               procedure="general", party_kind="organisation", party_name="某公司",
                               opened_on=timezone.localdate(), pack_version=1)
    media = Path(DATA) / "media"
    media.mkdir()
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    for i in range(RECORDS):
        path = make_photo(media / f"现场照片{i:03d}.jpg", size=(64 + i, 48 + i % 5),
                          taken=start + dt.timedelta(minutes=7 * i))
        origin = Origin(agency=agency, channel="upload", ingested_by=officers[0], officer=officers[i % 2],
                        device=device, case=case, party=case.party_name, usage="evidence")
        record = ingest_file(path, path.name, origin).record
        derivatives.make_all(record)
    size = tree.current_size()
    for first in range(size, EVENTS, CHECKPOINT_EVERY):
        batch = []
        for i in range(first, min(first + CHECKPOINT_EVERY, EVENTS)):
            record_id = 1 + i % RECORDS
            batch.append(Event(verb="record.view", actor=officers[i % 2], actor_label=f"officer{i % 2}",
                               agency_code=agency.code, object_type="evidence.record", object_id=str(record_id),
                               object_label=f"#{record_id} 现场照片{record_id - 1:03d}.jpg", request_id=f"{i:032x}",
                               client_address="10.1.2.3", detail={"grant": i % 17, "range": [0, i % 4096]}))
        with transaction.atomic():
            append_events(batch)
        checkpoints.make_checkpoint()
    publication.publish_pending()


def _sql(statement: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _update(table: str, column: str, value, key: str, key_value, *, raw_text: bool = False) -> None:
    placeholder = "CAST(%s AS TEXT)" if raw_text else "%s"
    try:
        with transaction.atomic():
            _sql(f'UPDATE {table} SET "{column}" = {placeholder} WHERE "{key}" = %s', [value, key_value])
    except DatabaseError as error:
        raise Refused(str(error)) from error


def _changed(rng: random.Random, value) -> tuple[object, bool]:
    """One byte or one field changed: returns the new value and whether it is raw bytes to store as text."""
    if value is None:
        return rng.choice(["x", 1]), False
    if isinstance(value, bool):
        return (not value), False
    if isinstance(value, int):
        return value ^ (1 << rng.randrange(0, 8)), False
    if isinstance(value, (bytes, memoryview)):
        data = bytearray(value)
        if not data:
            return b"\x01", False
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(data), False
    text = str(value)
    if connection.vendor == "sqlite" and rng.random() < 0.2:
        data = bytearray(text.encode("utf-8") or b"x")
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(data), True  # any byte, valid UTF-8 or not
    if not text:
        return "x", False
    position = rng.randrange(len(text))
    replacement = rng.choice([c for c in SUBSTITUTES if c != text[position]])
    return text[:position] + replacement + text[position + 1:], False


def _raw(table: str, column: str, key: str, key_value):
    cast = f'CAST("{column}" AS TEXT)' if connection.vendor == "sqlite" and column in (
        "occurred_at", "signed_at", "recorded_start", "recorded_end", "stored_at") else f'"{column}"'
    rows = _sql(f'SELECT {cast} FROM {table} WHERE "{key}" = %s', [key_value])
    return rows[0][0] if rows else None


def event_trial(rng: random.Random) -> Trial:
    seq = rng.randrange(tree.current_size())
    column = rng.choice(EVENT_COLUMNS)

    def apply() -> None:
        if column == "seq":
            _update("ledger_event", "seq", tree.current_size() + rng.randrange(1, 1000), "seq", seq)
            return
        value, raw = _changed(rng, _raw("ledger_event", column, "seq", seq))
        _update("ledger_event", column, value, "seq", seq, raw_text=raw)
    return Trial(f"event {seq}.{column}", {f"event:{seq}"}, apply)


def checkpoint_trial(rng: random.Random) -> Trial:
    ids = list(Checkpoint.objects.values_list("id", flat=True))
    target = rng.choice(ids)
    column = rng.choice(CHECKPOINT_COLUMNS)

    def apply() -> None:
        value, raw = _changed(rng, _raw("ledger_checkpoint", column, "id", target))
        _update("ledger_checkpoint", column, value, "id", target, raw_text=raw)
    return Trial(f"checkpoint {target}.{column}", {f"checkpoint:{target}"}, apply)


def record_trial(rng: random.Random) -> Trial:
    if rng.random() < 0.7:
        record = rng.choice(list(Record.objects.values_list("id", flat=True)))
        column = rng.choice(RECORD_COLUMNS)

        def apply() -> None:
            value, raw = _changed(rng, _raw("evidence_record", column, "id", record))
            _update("evidence_record", column, value, "id", record, raw_text=raw)
        return Trial(f"record {record}.{column}", {f"record:{record}"}, apply)
    blob = rng.choice(list(Blob.objects.values_list("id", flat=True)))
    column = rng.choice(BLOB_COLUMNS)
    expected = {f"record:{r}" for r in Record.objects.filter(blob_id=blob).values_list("id", flat=True)} | {
        f"derivative:{d}" for d in Derivative.objects.filter(blob_id=blob).values_list("id", flat=True)}

    def apply_blob() -> None:
        value, raw = _changed(rng, _raw("evidence_blob", column, "id", blob))
        _update("evidence_blob", column, value, "id", blob, raw_text=raw)
    return Trial(f"blob row {blob}.{column}", expected, apply_blob)


def stored_trial(rng: random.Random) -> Trial:
    blob = rng.choice(list(Blob.objects.all()))
    path = default_store().path(fixity.stored_object(blob))

    def apply() -> None:
        data = bytearray(path.read_bytes())
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        path.chmod(0o644)
        path.write_bytes(bytes(data))
    kind = "original" if Record.objects.filter(blob=blob).exists() else "derivative"
    return Trial(f"stored {kind} {blob.pk}", {str(blob.pk)}, apply, on_disk=path)


def detect_rows(trial: Trial) -> tuple[bool, bool]:
    report = verify_ledger()
    refs = {problem.ref for problem in report.problems}
    return not report.passed, trial.expected <= refs


def detect_bytes(trial: Trial) -> tuple[bool, bool]:
    fixity.sweep(minutes=10, rate=1 << 40, now=timezone.now() + dt.timedelta(days=3650))
    failed = {str(c.blob_id) for c in FixityCheck.objects.exclude(outcome=FixityCheck.Outcome.INTACT)}
    named = set(Event.objects.filter(verb__startswith="fixity.").exclude(verb="fixity.sweep")
                .values_list("detail__sha256_expected", flat=True))
    blob = Blob.objects.get(pk=int(next(iter(trial.expected))))
    return bool(failed), failed == trial.expected and named == {blob.sha256}


def run_trial(trial: Trial, detect: Callable[[Trial], tuple[bool, bool]]) -> tuple[bool, bool, bool]:
    """(detected, exact, crashed); Refused when the tampering itself could not be made."""
    original = trial.on_disk.read_bytes() if trial.on_disk else None
    outcome: tuple[bool, bool, bool] = (False, False, False)
    try:
        with transaction.atomic():
            for statement in append_only.drop_sql(connection.vendor):
                _sql(statement)
            trial.apply()
            try:
                detected, exact = detect(trial)
                outcome = (detected, exact, False)
            except Exception as error:  # noqa: BLE001 — a crash is what the benchmark counts
                print(f"crash on {trial.label}: {error.__class__.__name__}: {error}", file=sys.stderr)
                outcome = (False, False, True)
            raise _Undo
    except _Undo:
        pass
    finally:
        if original is not None:
            trial.on_disk.write_bytes(original)
            trial.on_disk.chmod(0o444)
    return outcome


def main() -> None:
    began = time.perf_counter()
    build()
    baseline = verify_ledger()
    if not baseline.passed:
        raise SystemExit(f"the untouched ledger does not verify: {baseline.problems[:3]}")
    print(f"events={tree.current_size()} records={Record.objects.count()} blobs={Blob.objects.count()} "
          f"checkpoints={Checkpoint.objects.count()} build_s={time.perf_counter() - began:.1f}", file=sys.stderr)
    rng = random.Random(SEED)
    makers = [(event_trial, detect_rows, 0.4), (checkpoint_trial, detect_rows, 0.15),
              (record_trial, detect_rows, 0.25), (stored_trial, detect_bytes, 0.2)]
    trials = detected = exact = crashes = refused = 0
    missed: list[str] = []
    began = time.perf_counter()
    while trials < TRIALS:
        make, detect, _weight = rng.choices(makers, weights=[m[2] for m in makers])[0]
        trial = make(rng)
        try:
            found, named, crashed = run_trial(trial, detect)
        except Refused:
            refused += 1
            continue
        trials += 1
        detected += found
        exact += named
        crashes += crashed
        if not (found and named) and not crashed:
            missed.append(trial.label)
    for label in missed[:20]:
        print(f"not detected or not named: {label}", file=sys.stderr)
    print(f"refused_by_database={refused} seconds={time.perf_counter() - began:.0f}", file=sys.stderr)
    print(f"trials={trials} detected={detected} exact={exact} crashes={crashes}")


if __name__ == "__main__":
    try:
        main()
    finally:
        import shutil

        connection.close()
        shutil.rmtree(DATA, ignore_errors=True)  # the store's files are read-only, their directories are not
