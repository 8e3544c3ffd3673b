"""The Merkle log in the database: appends under the head's lock, roots and proofs from stored perfect subtrees.

Hashing and proof shapes come from ``lawtrace_verify.merkle`` so the server and the offline verifier cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from lawtrace_verify import merkle

from ledger.models import Event, LedgerHead, MerkleNode

LEVEL_SHIFT = 48
HASH_SIZE = 32
_LEAF_KEYS_END = 1 << LEVEL_SHIFT  # keys below are leaves, which live in their events' rows
_HEAD_TABLE = LedgerHead._meta.db_table
_NODE_TABLE = MerkleNode._meta.db_table
_EVENT_TABLE = Event._meta.db_table


def node_key(level: int, index: int) -> int:
    return level << LEVEL_SHIFT | index


@dataclass
class Head:
    """The locked head row's values: the tree size and its right edge."""

    size: int
    edge: bytes


def locked_head() -> Head:
    """The head row, locked until the caller's transaction ends: appends are serialised here.

    Plain SQL because every event passes through here; the ORM's query building cost more than the append. The
    same query reads the highest stored position, so a row written past the head behind the application's back
    stops appends with a clear refusal (``guard.LedgerBlocked``) instead of a key conflict on every write.
    """
    from ledger.guard import LedgerBlocked, alert

    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("the ledger head may only be locked inside a transaction")
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    query = f"SELECT size, edge, (SELECT MAX(seq) FROM {_EVENT_TABLE}) FROM {_HEAD_TABLE} WHERE id = 1{lock}"
    with connection.cursor() as cursor:
        cursor.execute(query)
        row = cursor.fetchone()
        if row is None:
            try:
                with transaction.atomic():
                    cursor.execute(f"INSERT INTO {_HEAD_TABLE} (id, size, edge) VALUES (1, 0, %s)", [b""])
            except IntegrityError:
                pass  # created by a concurrent first append
            cursor.execute(query)
            row = cursor.fetchone()
    size, edge, highest = row
    if not isinstance(size, int) or not isinstance(edge, (bytes, memoryview)) \
            or len(edge) != HASH_SIZE * bin(max(size, 0)).count("1") or size < 0:
        alert(blocked := LedgerBlocked.damaged_head())
        raise blocked
    if highest is not None and (not isinstance(highest, int) or highest >= size):
        alert(blocked := LedgerBlocked.row_past_head(highest, size))
        raise blocked
    return Head(size, bytes(edge))


def compact_range(head: Head) -> merkle.CompactRange:
    edge = head.edge
    return merkle.CompactRange(head.size, [edge[i:i + HASH_SIZE] for i in range(0, len(edge), HASH_SIZE)])


def append_leaves(head: Head, leaves: Sequence[bytes]) -> None:
    """Add leaf hashes to the tree held by a locked head; stores every larger perfect subtree they complete.

    The leaves themselves are stored by the caller, in their events' rows.
    """
    tree = compact_range(head)
    rows: list[tuple[int, bytes]] = []
    for leaf in leaves:
        completed = tree.append(leaf)
        if len(completed) > 1:
            rows.extend((level << LEVEL_SHIFT | index, digest) for level, index, digest in completed[1:])
    head.size = tree.size
    head.edge = b"".join(tree.edge)
    with transaction.get_connection().cursor() as cursor:
        cursor.executemany(f'INSERT INTO {_NODE_TABLE} ("key", "hash") VALUES (%s, %s)', rows)
        cursor.execute(f"UPDATE {_HEAD_TABLE} SET size = %s, edge = %s WHERE id = 1", [head.size, head.edge])


def current_size() -> int:
    head = LedgerHead.objects.filter(pk=1).first()
    return head.size if head else 0


def _fetch(keys: Iterable[int]) -> dict[int, bytes]:
    """Stored hashes by node key, in one query: a leaf's key is its event's position, larger subtrees are nodes."""
    wanted = set(keys)
    leaves = [key for key in wanted if key < _LEAF_KEYS_END]
    nodes = [key for key in wanted if key >= _LEAF_KEYS_END]
    parts, params = [], []
    if leaves:
        parts.append(f"SELECT seq, leaf FROM {_EVENT_TABLE} WHERE seq IN ({', '.join(['%s'] * len(leaves))}) "
                     "AND leaf IS NOT NULL")
        params.extend(leaves)
    if nodes:
        parts.append(f'SELECT "key", hash FROM {_NODE_TABLE} WHERE "key" IN ({", ".join(["%s"] * len(nodes))})')
        params.extend(nodes)
    found: dict[int, bytes] = {}
    if parts:
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            found = {key: bytes(digest) for key, digest in cursor.fetchall()}
    missing = wanted - found.keys()
    if missing:
        level, index = divmod(min(missing), 1 << LEVEL_SHIFT)
        raise LookupError(f"Merkle node level {level} index {index} is missing")
    return found


def _range_hashes(ranges: Sequence[merkle.Range]) -> list[bytes]:
    pieces = [merkle.perfect_pieces(start, end) for start, end in ranges]
    nodes = _fetch(node_key(level, index) for group in pieces for level, index in group)
    return [merkle.fold([nodes[node_key(level, index)] for level, index in group]) for group in pieces]


def root_at(size: int) -> bytes:
    if size > current_size():
        raise ValueError(f"the ledger has fewer than {size} events")
    return _range_hashes([(0, size)])[0] if size else merkle.EMPTY_ROOT


def inclusion_proof(index: int, size: int) -> list[bytes]:
    return _range_hashes(merkle.inclusion_ranges(index, size))


def consistency_proof(old_size: int, new_size: int) -> list[bytes]:
    return _range_hashes(merkle.consistency_ranges(old_size, new_size))


def leaf_at(index: int) -> bytes:
    return _fetch([node_key(0, index)])[node_key(0, index)]
