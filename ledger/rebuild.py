"""Rebuilding the Merkle tree from the event rows, as fast as the hashing allows (issue 23: verification speed).

On SQLite the canonical text each leaf covers is put together by the database itself: ``json_object`` writes the
sorted pairs without spaces and escapes strings exactly as Python's encoder does, the JSON columns already hold the
very texts that were hashed, and the time is cut into its canonical form. Python then only hashes, 4,096 rows at a
time, building each chunk's perfect subtrees level by level, while a second thread has SQLite read the next chunk
(the driver lets go of the interpreter while SQLite works, so the two cores share the job). A row whose text does not
give its stored leaf is read again column by column and judged in Python, so a difference in formatting costs time,
never a wrong answer. Other databases take that column-by-column path for every row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from lawtrace_verify import merkle
from lawtrace_verify.canonical import EVENT_FIELDS, bytes_from_texts, value_text

from ledger import rawsql
from ledger.events import canonical_time
from ledger.models import Event

CHUNK_LEVEL = 12
CHUNK = 1 << CHUNK_LEVEL
HASH = 32
_TABLE = Event._meta.db_table
_JSON = ("before", "after", "detail")
_sha256 = hashlib.sha256


def _fast_sql() -> str:
    # "2026-11-23 07:33:10.123456" (or without the fraction) → "2026-11-23T07:33:10.123456+00:00"; a time in any
    # other form gives null, so its row is judged one by one (and reported: the application writes only this form).
    canonical_time_sql = ("CASE WHEN substr(occurred_at, 11, 1) = ' ' AND (length(occurred_at) = 19 OR "
                          "length(occurred_at) = 26 AND substr(occurred_at, 20, 1) = '.') THEN "
                          "substr(occurred_at, 1, 10) || 'T' || substr(occurred_at, 12, 8) || '.' || "
                          "substr(substr(occurred_at, 21) || '000000', 1, 6) || '+00:00' END")
    pairs = []
    for name in sorted(EVENT_FIELDS):
        if name == "occurred_at":
            value = canonical_time_sql
        elif name in _JSON:
            value = f'json("{name}")'
        else:
            value = f'"{name}"'
        pairs.append(f"'{name}', {value}")
    # The time comes back as stored (an expression, so the backend's datetime converter leaves it alone).
    return (f"SELECT seq, json_object({', '.join(pairs)}), leaf, occurred_at || '' FROM {_TABLE} "
            "WHERE seq >= ? AND seq < ? ORDER BY seq")


def _robust_sql(where: str) -> str:
    columns = ", ".join(rawsql.time_column(name) if name == "occurred_at" else f'"{name}"' for name in EVENT_FIELDS)
    return f"SELECT {columns}, leaf FROM {_TABLE} WHERE {where} ORDER BY seq"


def fast_path() -> bool:
    return rawsql.is_sqlite() and connection.timezone_name == "UTC"


class Row(NamedTuple):
    """A plain 4-tuple from the quick query has the same shape (without ``why``): hot loops index, not name."""

    seq: int
    data: bytes | None  # the canonical bytes the leaf covers; None when the row cannot be read
    stored: bytes | None
    time: bytes | None  # the UTC time as SQLite stores it, "YYYY-MM-DD HH:MM:SS.ffffff": comparable as bytes
    why: str = ""


def time_key(moment) -> bytes:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f").encode("ascii")


def judge(values: tuple) -> Row:
    """One row read column by column: its canonical bytes, or why there are none."""
    *fields, stored = values
    seq = fields[0]
    try:
        moment = rawsql.moment(fields[1])
        when = canonical_time(moment)
    except (ValueError, TypeError, OverflowError) as error:
        return Row(seq, None, rawsql.blob(stored), None, f"occurred_at: {error}")
    converted = [seq, when]
    for name, value in zip(EVENT_FIELDS[2:], fields[2:], strict=True):
        try:
            if value is None or isinstance(value, int):
                converted.append(value)
            elif name in _JSON:
                converted.append(value if isinstance(value, (dict, list)) else json.loads(rawsql.text(value)))
            else:
                converted.append(rawsql.text(value))
        except ValueError as error:
            return Row(seq, None, rawsql.blob(stored), time_key(moment), f"{name}: {error}")
    try:
        data = bytes_from_texts([value_text(value) for value in converted])
    except (TypeError, ValueError) as error:
        return Row(seq, None, rawsql.blob(stored), time_key(moment), str(error))
    return Row(seq, data, rawsql.blob(stored), time_key(moment))


def _robust_chunk(start: int, end: int) -> list[Row]:
    with rawsql.cursor() as cursor:
        cursor.execute(_robust_sql("seq >= %s AND seq < %s"), [start, end])
        return [judge(values) for values in cursor.fetchall()]


def reread(seqs: list[int]) -> dict[int, Row]:
    """Rows whose quick text missed their leaf, judged column by column."""
    if not seqs:
        return {}
    marks = ", ".join(["%s"] * len(seqs))
    with rawsql.cursor() as cursor:
        cursor.execute(_robust_sql(f"seq IN ({marks})"), seqs)
        return {values[0]: judge(values) for values in cursor.fetchall()}


def missing_leaf(seq: int) -> bytes:
    # A deleted or unreadable row still occupies its place: hash a marker so later positions line up.
    return merkle.leaf_hash(b"missing event %d" % seq)


@dataclass
class Rebuilt:
    """Every perfect subtree of two or more leaves, level by level (as the tree table stores them), and the few
    leaves that roots at given sizes need."""

    keep: set[int]
    levels: list[bytearray] = field(default_factory=lambda: [bytearray()])
    kept: dict[int, bytes] = field(default_factory=dict)
    size: int = 0

    def _level(self, level: int) -> bytearray:
        while len(self.levels) <= level:
            self.levels.append(bytearray())
        return self.levels[level]

    def add(self, start: int, leaves: list[bytes]) -> None:
        """Leaves for positions ``start``… in order; ``start`` is a multiple of CHUNK and only the last chunk is
        short."""
        if self.keep:
            for position in self.keep.intersection(range(start, start + len(leaves))):
                self.kept[position] = leaves[position - start]
        level, hashes = 0, leaves
        while len(hashes) > 1:
            pairs = zip(hashes[::2], hashes[1::2], strict=False)  # an odd last hash waits for the next chunk
            hashes = [_sha256(b"\x01" + left + right).digest() for left, right in pairs]
            level += 1
            self._level(level).extend(b"".join(hashes))
        self.size = start + len(leaves)
        if len(leaves) == CHUNK:
            self._carry(CHUNK_LEVEL, start >> CHUNK_LEVEL)

    def _carry(self, level: int, index: int) -> None:
        while index & 1:
            nodes = self.levels[level]
            parent = _sha256(b"\x01" + nodes[(index - 1) * HASH:(index + 1) * HASH]).digest()
            level, index = level + 1, index >> 1
            self._level(level).extend(parent)

    def node(self, level: int, index: int) -> bytes:
        if level == 0:
            return self.kept[index]
        return bytes(self.levels[level][index * HASH:(index + 1) * HASH])

    def edge(self, size: int) -> list[bytes]:
        return [self.node(level, index) for level, index in merkle.perfect_pieces(0, size)]

    def root(self, size: int) -> bytes:
        return merkle.fold(self.edge(size)) if size else merkle.EMPTY_ROOT


class _Reader:
    """Chunks of rows in order; on SQLite the next chunks are read on other threads while this one is hashed.

    Outside a transaction (the verification job, the command, the benchmark) the rows below the head are committed
    and never change, so two read-only connections of their own read ahead, two chunks at a time. Inside one (a
    test) only this connection sees the rows: one thread reads ahead on it, and the two threads never use it at
    once (the next read starts only after the caller took the last one, and ``hold`` waits for it before the
    caller uses the connection itself).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.quick = fast_path()
        self.sql = _fast_sql() if self.quick else ""
        self.error = connection.Database.Error if self.quick else Exception
        self.futures: dict[int, Future] = {}
        self.own: list = []
        self.pool = None
        self.depth = 1
        # Taken here: on another thread ``connection`` would be that thread's own, unopened one.
        self.shared = connection.connection if self.quick else None
        if not self.quick or size <= CHUNK:
            return
        name = str(connection.settings_dict["NAME"])
        if not connection.in_atomic_block and name and not name.startswith(":memory:") and "mode=memory" not in name:
            for _ in range(2):
                own = connection.Database.connect(f"file:{name}?mode=ro", uri=True, check_same_thread=False)
                own.text_factory = bytes
                self.own.append(own)
        self.pool = ThreadPoolExecutor(max(1, len(self.own)), thread_name_prefix="ledger-read")
        self.depth = max(1, len(self.own))
        self._free = list(self.own)

    def _read(self, start: int, raw=None) -> list | None:
        """The quick read (None when it cannot be used); off the main thread, so no Django connection here."""
        if not self.quick:
            return None
        cursor = (raw or self.shared).cursor()
        try:
            cursor.execute(self.sql, (start, min(start + CHUNK, self.size)))
            return cursor.fetchall()  # (seq, data, stored, time) tuples: a Row's shape, built in C
        except self.error:
            return None  # json() refused a column's text: these rows are judged one by one
        finally:
            cursor.close()

    def _submit(self, start: int) -> None:
        if self.own:
            raw = self._free.pop()
            future = self.pool.submit(self._read, start, raw)
            future.add_done_callback(lambda _done, raw=raw: self._free.append(raw))
        else:
            future = self.pool.submit(self._read, start)
        self.futures[start] = future

    def take(self, start: int) -> list:
        future = self.futures.pop(start, None)
        rows = future.result() if future is not None else self._read(start)
        if rows is None:
            self.hold()
            rows = _robust_chunk(start, min(start + CHUNK, self.size))
        if self.pool is not None:
            for ahead in range(start + CHUNK, min(start + CHUNK * (self.depth + 1), self.size), CHUNK):
                if ahead not in self.futures and (self._free or not self.own):
                    self._submit(ahead)
        return rows

    def hold(self) -> None:
        """Before the caller uses its own connection: wait for a read that shares it."""
        if not self.own:
            for future in self.futures.values():
                future.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        for own in self.own:
            own.close()


Report = Callable[[str, int, str], None]  # (kind, seq, why)


def rebuild(size: int, keep: set[int], report: Report, on_rows: Callable[[int, list], None] | None = None,
            progress: Callable[[int, int], None] | None = None) -> tuple[Rebuilt, int, int]:
    """The tree of positions 0…size-1 from the rows; returns it, the rows checked and the bytes hashed. Reports
    ``changed``, ``unreadable``, ``leaf`` and ``deleted`` rows; ``on_rows`` sees each chunk's rows in order as
    (seq, data, stored, time) (for the time order)."""
    rebuilt = Rebuilt(keep={k for k in keep if 0 <= k < size})
    checked = hashed = 0
    connection.ensure_connection()
    with rawsql.cursor():  # text as bytes for the whole read, on every thread
        reader = _Reader(size)
        try:
            for start in range(0, size, CHUNK):
                end = min(start + CHUNK, size)
                rows = reader.take(start)
                if progress and start:
                    reader.hold()
                    progress(start, size)
                if len(rows) != end - start or rows[0][0] != start or rows[-1][0] != end - 1:
                    reader.hold()
                    rows = _with_gaps(rows, start, end, report)
                datas = [row[1] for row in rows]
                try:
                    leaves = [_sha256(b"\x00" + data).digest() for data in datas]
                    hashed += sum(map(len, datas))
                except TypeError:  # a row without text: judged below
                    leaves = [_sha256(b"\x00" + d).digest() if isinstance(d, bytes) else None for d in datas]
                    hashed += sum(len(d) for d in datas if isinstance(d, bytes))
                if leaves != [row[2] for row in rows]:
                    reader.hold()
                    rows = _judged(rows, leaves, start, report)
                checked += len(rows)
                if on_rows is not None:
                    on_rows(start, rows)
                rebuilt.add(start, leaves)
        finally:
            reader.close()
    if progress:
        progress(size, size)
    return rebuilt, checked, hashed


def _judged(rows: list, leaves: list, start: int, report: Report) -> list:
    """Rows whose quick leaf missed: judged one by one, reported, and given the leaf their content has."""
    wrong = [i for i, (leaf, row) in enumerate(zip(leaves, rows, strict=True)) if leaf != row[2]]
    again = reread([rows[i][0] for i in wrong if rows[i][0] >= 0])
    rows = list(rows)
    for i in wrong:
        row = again.get(rows[i][0]) or Row(*rows[i])
        rows[i] = row
        leaf = _sha256(b"\x00" + row.data).digest() if row.data is not None else None
        if row.seq < 0:
            leaf = missing_leaf(start + i)
        elif row.data is None:
            report("unreadable", row.seq, row.why)
            leaf = missing_leaf(row.seq)
        elif row.stored is None:
            report("leaf", row.seq, "")
        elif leaf != row.stored:
            report("changed", row.seq, "")
        leaves[i] = leaf
    return [row for row in rows if row[0] >= 0]


def _with_gaps(rows: list, start: int, end: int, report: Report) -> list:
    """Fill the places of deleted rows with markers (seq -1 tells them apart) so the positions line up."""
    by_seq = {row[0]: row for row in rows}
    filled = []
    for seq in range(start, end):
        row = by_seq.get(seq)
        if row is None:
            report("deleted", seq, "")
            row = Row(-1, None, missing_leaf(seq), None)
        filled.append(row)
    return filled
