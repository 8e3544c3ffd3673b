"""An uploaded import file kept between its preview and the confirm step: on the server, readable by the service
alone, named by a random token the session holds, and checked by its SHA-256 so the rows confirmed are the rows
previewed. Removed once confirmed; any left behind (a preview never confirmed) goes after a day."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest

KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Staged:
    name: str
    data: bytes
    extra: dict


def _folder() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def stage(request: HttpRequest, kind: str, name: str, data: bytes, **extra) -> None:
    folder = _folder()
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    previous = request.session.get(f"import_{kind}")
    if previous:
        (folder / previous["token"]).unlink(missing_ok=True)
    token = secrets.token_hex(16)
    descriptor = os.open(folder / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    request.session[f"import_{kind}"] = {"token": token, "name": name, "sha256": hashlib.sha256(data).hexdigest(),
                                         "extra": extra}


def staged(request: HttpRequest, kind: str) -> Staged | None:
    kept = request.session.get(f"import_{kind}")
    if not kept:
        return None
    path = _folder() / kept["token"]
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if hashlib.sha256(data).hexdigest() != kept["sha256"]:
        return None
    return Staged(kept["name"], data, kept.get("extra", {}))


def discard(request: HttpRequest, kind: str) -> None:
    kept = request.session.pop(f"import_{kind}", None)
    if kept:
        (_folder() / kept["token"]).unlink(missing_ok=True)
