"""Facts other apps keep in their own rows but first wrote into the ledger: verification checks the rows against the
events that recorded them and names each row that disagrees.

An app registers a ``Binding`` at start-up (the evidence component binds each record's hashes, name, device, officer,
case, recording times and ingest time, and each derivative's hash and source). The ledger reads the binding's events
once, robustly, and hands them over; the app compares and reports through ``add``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger import rawsql
from ledger.models import Event

Add = Callable[[str, str, str, str], None]  # (kind, where, message, ref)


@dataclass(frozen=True)
class BoundEvent:
    seq: int
    verb: str
    object_id: str
    occurred_at: dt.datetime | None
    after: Any
    detail: Any


@dataclass(frozen=True)
class Binding:
    name: str
    object_type: str
    verbs: frozenset[str]
    check: Callable[[dict[str, list[BoundEvent]], Add], None]


_registry: dict[str, Binding] = {}


def register(binding: Binding) -> None:
    _registry[binding.name] = binding


def registered() -> list[Binding]:
    return list(_registry.values())


def events_for(binding: Binding) -> dict[str, list[BoundEvent]]:
    """The binding's done events by object id, in log order. A value that does not read as JSON reads as None: the
    row is reported by the log's own check, and the binding then sees the fact as unrecorded."""
    table = Event._meta.db_table
    marks = ", ".join(["%s"] * len(binding.verbs))
    found: dict[str, list[BoundEvent]] = {}
    with rawsql.cursor() as cursor:
        cursor.execute(f"SELECT seq, verb, object_id, {rawsql.time_column('occurred_at')}, after, detail FROM {table} "
                       f"WHERE object_type = %s AND verb IN ({marks}) AND result = 'done' ORDER BY seq",
                       [binding.object_type, *sorted(binding.verbs)])
        rows = cursor.fetchall()
    for seq, verb, object_id, when, after, detail in rows:
        try:
            verb, object_id = rawsql.text(verb), rawsql.text(object_id)
        except ValueError:
            continue  # an unreadable row: the log's own check names it
        found.setdefault(object_id, []).append(BoundEvent(seq, verb, object_id, _time(when), _json(after),
                                                          _json(detail)))
    return found


def _json(value: Any) -> Any:
    if value is None or isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(rawsql.text(value))
    except ValueError:
        return None


def _time(value: Any) -> dt.datetime | None:
    try:
        return rawsql.moment(value)
    except ValueError:
        return None
