"""The bytes of an event that its leaf hash covers: JSON with sorted keys, no spaces, UTF-8.

The object is written as its fields' own canonical texts in sorted key order, which is what encoding the whole
object with sorted keys gives. Writing it that way lets the ledger store each JSON column as the very text the hash
covers, so no value is encoded twice on the append path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any

EVENT_FIELDS = (
    "seq", "occurred_at", "verb", "result", "actor_id", "actor_label", "agency_code", "object_type", "object_id",
    "object_label", "request_id", "client_address", "before", "after", "detail",
)
_FIELD_NAMES = frozenset(EVENT_FIELDS)
# Built once: json.dumps with non-default options builds a new encoder on every call.
public_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def _fast_encoder() -> Callable[[Any], str] | None:
    """The C encoder that ``public_encode`` builds on every call, built once; None where this Python's differs.

    No circular-reference check: event values come from JSON, which has no cycles.
    """
    try:
        from json.encoder import c_make_encoder

        def refuse(value: Any) -> Any:
            raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")

        chunks = c_make_encoder(None, refuse, encode_basestring, None, ":", ",", True, False, False)

        def encode(value: Any) -> str:
            return "".join(chunks(value, 0))

        sample = {"b": [1.5, None, True, -3], "a": {"执法": "\n\"", "": 1e300}}
        return encode if encode(sample) == public_encode(sample) else None
    except Exception:  # any difference in this private API means: use the public one
        return None


_encode = _fast_encoder() or public_encode
_SORTED_NAMES = sorted(EVENT_FIELDS)
_in_key_order = itemgetter(*(EVENT_FIELDS.index(name) for name in _SORTED_NAMES))
# The field names are plain ASCII, so their JSON form is the name in quotes.
_TEMPLATE = "{" + ",".join(f'"{name}":%s' for name in _SORTED_NAMES) + "}"


def value_text(value: Any) -> str:
    """One value's canonical JSON text, as it appears inside the event's bytes."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    return _encode(value)


def bytes_from_texts(texts: Sequence[str]) -> bytes:
    """The event's bytes from its fields' canonical texts (``value_text``), given in ``EVENT_FIELDS`` order."""
    return (_TEMPLATE % _in_key_order(texts)).encode("utf-8")


def canonical_bytes(value: dict[str, Any]) -> bytes:
    if value.keys() != _FIELD_NAMES:  # extra keys (a bundle's annotations) are not covered by the hash
        missing = [name for name in EVENT_FIELDS if name not in value]
        if missing:
            raise ValueError(f"event lacks {', '.join(missing)}")
    return bytes_from_texts([value_text(value[name]) for name in EVENT_FIELDS])
