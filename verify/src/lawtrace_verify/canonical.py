"""The bytes of an event that its leaf hash covers: JSON with sorted keys, no spaces, UTF-8."""

from __future__ import annotations

import json
from typing import Any

EVENT_FIELDS = (
    "seq", "occurred_at", "verb", "result", "actor_id", "actor_label", "agency_code", "object_type", "object_id",
    "object_label", "request_id", "client_address", "before", "after", "detail",
)


def canonical_bytes(value: dict[str, Any]) -> bytes:
    missing = [name for name in EVENT_FIELDS if name not in value]
    if missing:
        raise ValueError(f"event lacks {', '.join(missing)}")
    ordered = {name: value[name] for name in EVENT_FIELDS}
    return json.dumps(ordered, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")
