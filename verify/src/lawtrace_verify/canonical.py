"""The bytes of an event that its leaf hash covers: JSON with sorted keys, no spaces, UTF-8."""

from __future__ import annotations

import json
from typing import Any

EVENT_FIELDS = (
    "seq", "occurred_at", "verb", "result", "actor_id", "actor_label", "agency_code", "object_type", "object_id",
    "object_label", "request_id", "client_address", "before", "after", "detail",
)
_FIELD_NAMES = frozenset(EVENT_FIELDS)
# Built once: json.dumps with non-default options builds a new encoder on every call.
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def canonical_bytes(value: dict[str, Any]) -> bytes:
    if value.keys() != _FIELD_NAMES:  # extra keys (a bundle's annotations) are not covered by the hash
        missing = [name for name in EVENT_FIELDS if name not in value]
        if missing:
            raise ValueError(f"event lacks {', '.join(missing)}")
        value = {name: value[name] for name in EVENT_FIELDS}
    return _encode(value).encode("utf-8")
