"""The one door through which every event is written (design principle 3).

Callers run inside the transaction of the change they describe: if the event cannot be written, the
change rolls back with it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.http import HttpRequest
from django.utils import timezone
from lawtrace_verify import merkle
from lawtrace_verify.canonical import EVENT_FIELDS, bytes_from_texts, value_text

from ledger import tree
from ledger.models import Event
from ledger.wording import stored


@dataclass(frozen=True)
class RequestContext:
    """Who asked and from where; built once per request and passed to action functions."""

    request_id: str = ""
    client_address: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest | None) -> RequestContext:
        if request is None:
            return cls()
        return cls(
            request_id=getattr(request, "request_id", ""),
            client_address=request.META.get("REMOTE_ADDR") or None,
        )


SYSTEM = RequestContext(request_id="system")

# Sent after an event is written, inside the same transaction, so derived state (compliance findings) follows the
# change it derives from. Receivers get ``event``; what they write is part of the change.
event_recorded = Signal()
# Sent once for the events ``record_events`` wrote in one go (derived changes in bulk: findings a recompute opened),
# with ``events``; a receiver that must see every event of some verb listens to both signals.
events_recorded = Signal()


def follow(event, refresh, ids) -> None:
    """Run a receiver's ``refresh(ids)`` of derived state in a savepoint: a fault there is logged, never allowed to
    undo the change the event records (the receiver's nightly sweep repairs what it missed)."""
    import logging

    try:
        with transaction.atomic():
            refresh(ids)
    except Exception:
        logging.getLogger(refresh.__module__).exception("%s failed after %s on %s", refresh.__qualname__,
                                                        event.verb, event.object_id)


def record_event(
    verb: str,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    agency_code: str = "",
    context: RequestContext = SYSTEM,
    result: str = Event.Result.DONE,
    before: dict | None = None,
    after: dict | None = None,
    detail: dict | None = None,
    actor_label: str = "",
) -> Event:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change it records")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if not agency_code:
        agency_code = _agency_code_of(obj) or _agency_code_of(actor)
    event = Event(
        verb=verb,
        result=result,
        actor=actor,
        actor_label=actor_label or (actor.get_username() if actor is not None else ""),
        agency_code=agency_code,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=str(obj)[:255] if obj is not None else "",
        request_id=context.request_id,
        client_address=_normalised_address(context.client_address),
        before=_as_stored(before),
        after=_as_stored(after),
        detail=_as_stored(detail),
    )
    append_events([event])
    if result == Event.Result.DONE:
        event_recorded.send(sender=Event, event=event)
    return event


def record_events(entries: list[dict[str, Any]], *, context: RequestContext = SYSTEM) -> list[Event]:
    """Many done events written by the system in one append, for a bulk change of derived state (one query and one
    Merkle update instead of one per event). Each entry names ``verb``, ``agency_code``, ``object_type``,
    ``object_id``, ``object_label`` and optionally ``before``, ``after``, ``detail``; receivers of single events are
    not called, ``events_recorded`` is sent once with them all."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events must run inside the transaction of the change it records")
    if not entries:
        return []
    events = [Event(verb=entry["verb"], result=Event.Result.DONE, actor=None, actor_label="",
                    agency_code=entry.get("agency_code", ""), object_type=entry.get("object_type", ""),
                    object_id=str(entry.get("object_id", "")), object_label=str(entry.get("object_label", ""))[:255],
                    request_id=context.request_id, client_address=_normalised_address(context.client_address),
                    before=_as_stored(entry.get("before")), after=_as_stored(entry.get("after")),
                    detail=_as_stored(entry.get("detail")))
              for entry in entries]
    append_events(events)
    events_recorded.send(sender=Event, events=events)
    return events


def append_events(events: list[Event]) -> None:
    """Give unsaved events their places in the log and write them with their Merkle nodes, in one go.

    An event without a time is stamped now, after the head's lock is taken, so times follow the log's order and
    verification can report an event dated out of order (a back-dated insert).
    """
    head = tree.locked_head()
    now = timezone.now()
    for event in events:
        if event.occurred_at is None:
            event.occurred_at = now
    connection = transaction.get_connection()
    db_time = column_time(connection)
    rows, leaves = [], []
    for seq, event in enumerate(events, head.size):
        event.seq = seq
        values = event_values(event)
        texts = [value_text(value) for value in values]
        leaf = merkle.leaf_hash(bytes_from_texts(texts))
        leaves.append(leaf)
        # What is stored is exactly what the leaf hash covers: the JSON columns hold the very texts hashed, and only
        # the time takes the column's form.
        before, after, detail = values[12:]
        rows.append((seq, db_time(event.occurred_at, values[1]), *values[2:12], None if before is None else texts[12],
                     None if after is None else texts[13], None if detail is None else texts[14], leaf))
    # One executemany instead of bulk_create: the ORM's per-value preparation cost more than the hashing.
    with connection.cursor() as cursor:
        cursor.executemany(_INSERT_SQL, rows)
    tree.append_leaves(head, leaves)


# append_events and verify_ledger address values by position, for speed: the time second, the JSON columns last.
if EVENT_FIELDS[1] != "occurred_at" or EVENT_FIELDS[12:] != ("before", "after", "detail"):
    raise ImportError("EVENT_FIELDS changed order: update append_events and verify_ledger to match")
_COLUMNS = (*EVENT_FIELDS, "leaf")
_INSERT_SQL = "INSERT INTO {} ({}) VALUES ({})".format(
    Event._meta.db_table, ", ".join(f'"{name}"' for name in _COLUMNS), ", ".join(["%s"] * len(_COLUMNS)))


def column_time(connection) -> Callable[[dt.datetime, str], Any]:
    """How the time column stores an event's time, given the time and its canonical UTC text.

    On SQLite in UTC the ORM stores str() of the naive UTC time; cut from the canonical text it costs a tenth of the
    ORM's adapter, which cost as much as hashing the event.
    """
    if connection.vendor == "sqlite" and connection.timezone_name == "UTC":
        return _sqlite_time
    return lambda moment, _canonical: connection.ops.adapt_datetimefield_value(moment)


def _sqlite_time(_moment: dt.datetime, canonical: str) -> str:
    # "2026-11-23T07:33:10.123456+00:00" → "2026-11-23 07:33:10.123456"; str() leaves out a zero fraction.
    text = canonical[:10] + " " + canonical[11:26]
    return text[:19] if text.endswith(".000000") else text


def event_values(event: Event) -> tuple:
    """The values the leaf hash covers, as they read back from the database, in ``EVENT_FIELDS`` order."""
    return (event.seq, canonical_time(event.occurred_at), event.verb, event.result, event.actor_id, event.actor_label,
            event.agency_code, event.object_type, event.object_id, event.object_label, event.request_id,
            event.client_address, event.before, event.after, event.detail)


def event_fields(event: Event) -> dict[str, Any]:
    return dict(zip(EVENT_FIELDS, event_values(event), strict=True))


def canonical_time(moment: dt.datetime) -> str:
    if moment.tzinfo is not dt.UTC:  # timezone.now() gives UTC already: no conversion on the append path
        moment = moment.astimezone(dt.UTC)
    return moment.isoformat(timespec="microseconds")


def _as_stored(value: dict | None) -> dict | None:
    # What the JSON column gives back (tuples become lists, keys become strings), so the hash matches a re-read;
    # a translatable reason is kept untranslated (ledger.wording).
    return None if value is None else json.loads(json.dumps(value, default=stored))


def _normalised_address(address: str | None) -> str | None:
    return Event._meta.get_field("client_address").get_prep_value(address) if address else None


def record_denial(verb: str, **kwargs: Any) -> Event:
    """Write a refused attempt in a transaction of its own.

    The refusal rolls back whatever the attempt started, but the attempt itself must stay on record, so
    call this outside the refused change's transaction, just before raising.
    """
    with transaction.atomic():
        return record_event(verb, result=Event.Result.DENIED, **kwargs)


def _agency_code_of(thing: Any) -> str:
    agency = getattr(thing, "agency", None)
    return getattr(agency, "code", "") if agency is not None else ""


def snapshot(instance: models.Model, fields: list[str]) -> dict:
    """JSON-safe values of the named fields, for before/after in an event."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(str(pk) for pk in getattr(instance, name).values_list("pk", flat=True)) \
                if instance.pk else []
            continue
        values[name] = _json_safe(getattr(instance, field.attname))
    return values


def _json_safe(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool, type(None), list, dict)):
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # One representation per instant, whatever zone the value arrived in, so equal times compare equal.
        return value.astimezone(dt.UTC).isoformat()
    return str(value)


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields whose value changed, so events stay readable."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def events_for_object(obj: models.Model) -> QuerySet[Event]:
    """The object's history, newest first."""
    return (Event.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
            .select_related("actor").order_by("-seq"))
