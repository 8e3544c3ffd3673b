"""Serving stored bytes to a browser: HTTP Range requests over the store, and the signed token that ties every
byte served to a view already on the record."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import signing
from django.http import HttpResponse, StreamingHttpResponse

from evidence.derivatives import stored_object
from evidence.models import Blob
from evidence.store import store_named

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_SALT = "evidence.stream"


def stream_token(*, record_id: int, user_id: int, view_seq: int) -> str:
    return signing.dumps({"r": record_id, "u": user_id, "v": view_seq}, salt=_SALT, compress=True)


def read_token(token: str) -> dict | None:
    try:
        return signing.loads(token, salt=_SALT, max_age=settings.EVIDENCE_STREAM_TOKEN_SECONDS)
    except signing.BadSignature:
        return None


def ranged_response(blob: Blob, content_type: str, range_header: str) -> HttpResponse:
    store = store_named(blob.backend)
    obj = stored_object(blob)
    size = blob.size
    start, end, status = 0, size - 1, 200
    if range_header:
        match = _RANGE.match(range_header.strip())
        if not match or (not match[1] and not match[2]):
            return _unsatisfiable(size)
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:  # the last N bytes
            start = max(size - int(match[2]), 0)
        if start >= size or start > end:
            return _unsatisfiable(size)
        status = 206
    response = StreamingHttpResponse(store.read_range(obj, start, end), status=status, content_type=content_type)
    response["Accept-Ranges"] = "bytes"
    response["Content-Length"] = str(end - start + 1)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response
