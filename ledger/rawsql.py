"""Reading ledger rows as the database holds them, whatever bytes someone put there.

Verification must answer with a report, never a traceback (issue: "any bytes in any row"). On SQLite two things
turn odd bytes into exceptions on the way out: decoding text as UTF-8, and the converters the backend registers for
columns declared ``datetime``. Here text comes back as bytes and times as their stored text, to be judged by the
caller; PostgreSQL already refuses to store what it could not give back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction


def is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def time_column(name: str) -> str:
    """A time column as stored: SQLite's text, so the backend's converter never sees it; PostgreSQL's timestamptz."""
    return f'CAST("{name}" AS TEXT)' if is_sqlite() else f'"{name}"'


@contextmanager
def cursor() -> Iterator[Any]:
    with connection.cursor() as wrapped:
        if not is_sqlite():
            yield wrapped
            return
        raw = connection.connection
        previous = raw.text_factory
        raw.text_factory = bytes
        try:
            yield wrapped
        finally:
            raw.text_factory = previous


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Every read inside sees the database as it was at one moment, while appends go on beside it.

    Verification compares the head, the events, the checkpoints and the rows other apps bound to the log; read one
    after another while nodes append, a record filed in between reads as "no event" and an event appended after the
    head was read as "beyond the ledger's end" (the cluster bench's false alarm). PostgreSQL: a read-only REPEATABLE
    READ transaction. SQLite in WAL mode: a deferred read transaction, which never takes the write lock that
    ``transaction.atomic()`` would (the project opens IMMEDIATE transactions). Nothing may be written on this
    connection inside; inside a caller's transaction (tests, the restore drill) that transaction already decides.
    """
    if connection.in_atomic_block:
        yield
        return
    if not is_sqlite():
        with transaction.atomic():
            with connection.cursor() as wrapped:
                wrapped.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    with connection.cursor() as wrapped:
        wrapped.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        with connection.cursor() as wrapped:
            wrapped.execute("ROLLBACK")


def text(value: Any) -> str:
    """A text column's value; raises ValueError when the stored bytes are not UTF-8 text."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"not UTF-8 text at byte {error.start}") from error
    raise ValueError(f"a {type(value).__name__} where text belongs")


def moment(value: Any) -> dt.datetime:
    """A time column's value as an aware UTC time; raises ValueError for anything that is not a time, and for a time
    stored as text in any form but the one the application writes ("2026-03-01 09:30:00[.123456]", naive UTC): a
    "T" for the space, say, reads as the same instant but was written behind the application's back."""
    if isinstance(value, dt.datetime):
        result = value
    else:
        stored = text(value)
        result = dt.datetime.fromisoformat(stored)
        if result.tzinfo is not None or str(result) != stored:
            raise ValueError(f"{stored!r} is not in the form the application stores times in")
    if result.tzinfo is None:
        result = result.replace(tzinfo=dt.UTC)  # SQLite keeps UTC without a zone (USE_TZ)
    return result.astimezone(dt.UTC)


def blob(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, (bytes, memoryview, bytearray)):
        return bytes(value)
    return None


def select(table: str, columns: tuple[str, ...], *, times: tuple[str, ...] = (), order: str = "id") -> list[tuple]:
    """Every row of ``table`` as stored, in ``order``; ``times`` are read as ``time_column`` does."""
    selected = ", ".join(time_column(name) if name in times else f'"{name}"' for name in columns)
    with cursor() as reader:
        reader.execute(f'SELECT {selected} FROM {table} ORDER BY "{order}"')
        return reader.fetchall()
