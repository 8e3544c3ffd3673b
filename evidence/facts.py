"""A record's facts are bound to the ledger: its hashes, size, original name, device, officer, case, recording start
and end and ingest time were written into the ``record.ingest`` event, and every later change into the event that
made it. Ledger verification replays those events and names each record whose row now says otherwise; it does the
same for each derivative (playback copy, thumbnail, preview), whose hash and source hash were written when it was
made. Editing a row behind the application's back — the officer, the case, a time, the name, a hash — is found.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from evidence.models import Blob, Derivative, Record
from ledger import rawsql
from ledger.bindings import Add, Binding, BoundEvent

RECORD_FACTS = ("original_name", "device", "officer", "case", "recorded_start", "recorded_end", "stored_at")
CONTENT_FACTS = ("sha256", "sm3", "size")
CHANGE_VERBS = frozenset({"record.ingest", "record.link", "record.unlink", "record.classify"})
DERIVATIVE_VERB = "record.derivative"
_TIMES = ("recorded_start", "recorded_end", "stored_at")
# Ingest events written before the ingest time was part of the snapshot: the event's own time stands for it.
_LEGACY_INGEST_SLACK = dt.timedelta(seconds=60)


def derivative_detail(derivative_kind: str, blob: Blob, source_sha256: str) -> dict:
    """What the ``record.derivative`` event records, so the check and the writer agree."""
    return {"kind": derivative_kind, "sha256": blob.sha256, "sm3": blob.sm3, "size": blob.size,
            "source_sha256": source_sha256}


def recorded_facts(events: list[BoundEvent]) -> tuple[dict[str, Any], dt.datetime | None]:
    """The facts as the log states them after replaying ``events``, and the ingest event's time."""
    facts: dict[str, Any] = {}
    ingested_at = None
    for event in events:
        if event.verb not in CHANGE_VERBS or not isinstance(event.after, dict):
            continue
        if event.verb == "record.ingest":
            ingested_at = event.occurred_at
            facts.update({k: event.after[k] for k in (*RECORD_FACTS, *CONTENT_FACTS) if k in event.after})
        else:
            facts.update({k: event.after[k] for k in RECORD_FACTS if k in event.after})
    return facts, ingested_at


def _iso(value: Any) -> str | None:
    # The form ledger.events.snapshot gives a time: UTC, isoformat.
    return None if value is None else rawsql.moment(value).isoformat()


def _rows(table: str, columns: tuple[str, ...], times: tuple[str, ...] = ()) -> list[dict]:
    """Rows as stored; text that is not UTF-8 reads as a marker that equals nothing recorded."""
    return [{name: _readable(value) for name, value in zip(columns, row, strict=True)}
            for row in rawsql.select(table, columns, times=times)]


def _readable(value: Any) -> Any:
    if not isinstance(value, (bytes, memoryview)):
        return value
    try:
        return rawsql.text(value)
    except ValueError:
        return f"<{bytes(value)!r}>"


def _actual(row: dict, blob: dict | None) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name in RECORD_FACTS:
        value = row[name if name in _TIMES or name == "original_name" else f"{name}_id"]
        try:
            facts[name] = _iso(value) if name in _TIMES else value
        except (ValueError, TypeError, OverflowError):
            facts[name] = f"<{value!r}>"  # unreadable: never equal to what was recorded
    for name in CONTENT_FACTS:
        facts[name] = blob.get(name) if blob else None
    return facts


def _labels() -> dict[str, str]:
    labels = {name: str(Record._meta.get_field(name).verbose_name) for name in RECORD_FACTS}
    labels.update({"sha256": "SHA-256", "sm3": "SM3", "size": str(Blob._meta.get_field("size").verbose_name),
                   "stored_at": _("ingest time")})
    return labels


def check_records(events: dict[str, list[BoundEvent]], add: Add) -> None:
    labels = _labels()
    blobs = {b["id"]: b for b in _rows(Blob._meta.db_table, ("id", "sha256", "sm3", "size"))}
    records = _rows(Record._meta.db_table, ("id", "original_name", "device_id", "officer_id", "case_id",
                                            "recorded_start", "recorded_end", "stored_at", "blob_id"), _TIMES)
    bound: dict[int, dict[str, Any]] = {}
    for row in records:
        pk = row["id"]
        where, ref = _("record %(id)s") % {"id": pk}, f"record:{pk}"
        history = events.get(str(pk), [])
        facts, ingested_at = recorded_facts(history)
        if not any(e.verb == "record.ingest" for e in history):
            add("record", where, _("No ingest event records this record: its row was added behind the application's "
                                   "back."), ref)
            continue
        bound[pk] = facts
        actual = _actual(row, blobs.get(row["blob_id"]))
        differ = [name for name, value in facts.items() if actual.get(name) != value]
        if "stored_at" not in facts and ingested_at is not None:
            try:
                moved = abs(rawsql.moment(row["stored_at"]) - ingested_at) > _LEGACY_INGEST_SLACK
            except (ValueError, TypeError, OverflowError):
                moved = True
            if moved:
                differ.append("stored_at")
        if differ:
            add("record", where, _("The row of record %(id)s no longer says what the ledger recorded: %(fields)s.")
                % {"id": pk, "fields": "、".join(_difference(labels[name], actual.get(name), facts.get(name))
                                                 for name in differ)}, ref)
    present = {row["id"] for row in records}
    for object_id, history in events.items():
        if object_id.isdigit() and int(object_id) not in present and any(e.verb == "record.ingest" for e in history):
            add("record", _("record %(id)s") % {"id": object_id},
                _("Record %(id)s is in the ledger (event %(seq)d) but its row is gone from the database.")
                % {"id": object_id, "seq": history[0].seq}, f"record:{object_id}")
    _check_derivatives(events, bound, blobs, add)


def _difference(label: str, now: Any, recorded: Any) -> str:
    return _("%(field)s is %(now)s, recorded %(recorded)s") % {"field": label, "now": _shown(now),
                                                                 "recorded": _shown(recorded)}


def _shown(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


def _check_derivatives(events: dict[str, list[BoundEvent]], bound: dict[int, dict[str, Any]],
                       blobs: dict[int, dict], add: Add) -> None:
    for row in _rows(Derivative._meta.db_table, ("id", "record_id", "kind", "blob_id", "source_sha256")):
        where = _("derivative %(id)s of record %(record)s") % {"id": row["id"], "record": row["record_id"]}
        ref = f"derivative:{row['id']}"
        made = [e for e in events.get(str(row["record_id"]), [])
                if e.verb == DERIVATIVE_VERB and isinstance(e.detail, dict) and e.detail.get("kind") == row["kind"]]
        if not made:
            add("derivative", where, _("No event records the making of this derivative: it was added or replaced "
                                       "behind the application's back."), ref)
            continue
        recorded = made[-1].detail
        blob = blobs.get(row["blob_id"]) or {}
        actual = {"sha256": blob.get("sha256"), "sm3": blob.get("sm3"), "size": blob.get("size"),
                  "source_sha256": row["source_sha256"]}
        differ = [k for k in actual if recorded.get(k) != actual[k]]
        source = bound.get(row["record_id"], {}).get("sha256")
        if source is not None and recorded.get("source_sha256") != source:
            differ.append("source_sha256")
        if differ:
            add("derivative", where, _("The derivative is no longer what the ledger recorded when it was made "
                                       "(%(what)s).") % {"what": "、".join(sorted(set(differ)))}, ref)


BINDINGS = [Binding("evidence.record_facts", "evidence.record", CHANGE_VERBS | {DERIVATIVE_VERB}, check_records)]
