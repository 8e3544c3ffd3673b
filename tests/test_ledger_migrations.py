"""Ledger migrations that move recorded rows: the history must verify before, during and after them."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from ledger import append_only, checkpoints, tree
from ledger.events import record_event
from ledger.models import LedgerKey
from ledger.verification import verify_ledger

pytestmark = pytest.mark.django_db(transaction=True)

LEAF_KEYS_END = 1 << 48


def _scalar(statement: str):
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchone()[0]


def _refused(statement: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    except Exception as error:  # noqa: BLE001 - each backend raises its own class
        return append_only.MESSAGE in str(error)
    return False


def test_moving_leaves_into_event_rows_and_back_keeps_every_root_and_the_triggers():
    for i in range(11):
        with transaction.atomic():
            record_event("test.event", detail={"i": i})
    signed = checkpoints.make_checkpoint(force=True)
    size = signed.size  # the events and the pinning of the signing key
    leaves = [tree.leaf_at(i) for i in range(size)]
    # Migrating back past the chain of keys drops its table; the DBA restores its rows from the backup after.
    chain = list(LedgerKey.objects.values())
    try:
        call_command("migrate", "ledger", "0005", verbosity=0)
        assert _scalar(f'SELECT COUNT(*) FROM ledger_merklenode WHERE "key" < {LEAF_KEYS_END}') == size
        assert _refused("DELETE FROM ledger_merklenode")
        assert _refused("UPDATE ledger_event SET verb = 'x'")
    finally:
        call_command("migrate", verbosity=0)
        LedgerKey.objects.bulk_create(LedgerKey(**row) for row in chain)

    assert _scalar(f'SELECT COUNT(*) FROM ledger_merklenode WHERE "key" < {LEAF_KEYS_END}') == 0
    assert [tree.leaf_at(i) for i in range(size)] == leaves
    assert tree.root_at(size) == bytes(signed.root)
    report = verify_ledger()
    assert report.passed, report.problems
    assert report.events_checked == size and report.checkpoints_checked == 1
    assert _refused("UPDATE ledger_event SET verb = 'x'")
    assert _refused("DELETE FROM ledger_merklenode")
    with transaction.atomic():
        record_event("test.event", detail={"after": "migration"})
    assert verify_ledger().passed
