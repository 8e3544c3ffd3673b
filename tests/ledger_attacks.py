"""What an insider holding the database (and the key on disk) does to the ledger behind the application's back, for
the tests that expect each attack to be found."""

from __future__ import annotations

import json

from django.db import connection, transaction
from lawtrace_verify import merkle
from lawtrace_verify.canonical import canonical_bytes

from ledger import append_only, tree
from ledger.events import event_fields
from ledger.models import Event


def sql(statement: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def lift_triggers() -> None:
    """What a DBA with owner rights could do (inside the test's transaction)."""
    for statement in append_only.drop_sql(connection.vendor):
        sql(statement)


def rebuild_tree_from_rows() -> None:
    """Recompute every leaf, node and the head from the event rows as they are now: a careful forger's last step,
    after which the database alone is consistent again."""
    sql("DELETE FROM ledger_merklenode")
    rebuilt = merkle.CompactRange()
    nodes = []
    for event in Event.objects.order_by("seq"):
        leaf = merkle.leaf_hash(canonical_bytes(event_fields(event)))
        sql("UPDATE ledger_event SET leaf = %s WHERE seq = %s", [leaf, event.seq])
        nodes += [(tree.node_key(level, index), digest) for level, index, digest in rebuilt.append(leaf)[1:]]
    with connection.cursor() as cursor:
        cursor.executemany('INSERT INTO ledger_merklenode ("key", hash) VALUES (%s, %s)', nodes)
    sql("UPDATE ledger_ledgerhead SET size = %s, edge = %s WHERE id = 1", [rebuilt.size, b"".join(rebuilt.edge)])


def rewrite_detail(seq: int, detail: dict) -> None:
    sql("UPDATE ledger_event SET detail = %s WHERE seq = %s", [json.dumps(detail, separators=(",", ":")), seq])


def truncate(size: int) -> None:
    """Delete the events from ``size`` on, and every checkpoint, and roll the head back to match."""
    sql("DELETE FROM ledger_event WHERE seq >= %s", [size])
    sql("DELETE FROM ledger_checkpoint")
    rebuild_tree_from_rows()


def events(n: int, **detail) -> list[Event]:
    from ledger.events import record_event

    made = []
    for i in range(n):
        with transaction.atomic():
            made.append(record_event("test.event", detail={"i": i, **detail}))
    return made
