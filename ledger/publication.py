"""Every signed checkpoint and every key statement is also written where the database's owner cannot rewrite it: the
write-once store (S3 with Object Lock in COMPLIANCE mode in production, the local write-once directory by default).

Verification reads every copy back (every stored version, in S3) and fails when the database's log is shorter than,
or inconsistent with, any of them; deleting checkpoint rows, rolling the head back or re-signing a rewritten history
no longer passes unseen. The store is the evidence component's; it hands it over at start-up (``use_archive``), so
the ledger stays below every other app.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ledger.checkpoints import SignedCheckpoint, parse_published, published_text
from ledger.models import Checkpoint, LedgerKey, Publication

log = logging.getLogger(__name__)
CHECKPOINT_PREFIX = "ledger/checkpoints/"
KEY_PREFIX = "ledger/keys/"
KEY_HEADER = "lawtrace-key-statement"


class WriteOnceArchive(Protocol):
    def put_once(self, key: str, data: bytes, *, retain_until: dt.datetime) -> str:
        """Store ``data`` under ``key`` unless it is there already; return where it lies. Never replaces."""

    def read_versions(self, prefix: str) -> Iterator[tuple[str, bytes, dt.datetime]]:
        """Every stored version under ``prefix``, as (location, bytes, when the store wrote it)."""


_provider: Callable[[], WriteOnceArchive] | None = None


def use_archive(provider: Callable[[], WriteOnceArchive] | None) -> None:
    global _provider
    _provider = provider


def archive() -> WriteOnceArchive | None:
    return _provider() if _provider is not None else None


def checkpoint_location(checkpoint: Checkpoint) -> str:
    digest = hashlib.sha256(published_text(checkpoint).encode("utf-8")).hexdigest()[:16]
    return f"{CHECKPOINT_PREFIX}{checkpoint.size:015d}-{digest}"


def key_text(key: LedgerKey) -> str:
    return (f"{KEY_HEADER}\nsigner: {key.previous_key_id or key.key_id}\nsignature: {bytes(key.signature).hex()}\n\n"
            f"{key.statement}")


def publish_pending() -> int:
    """Publish every key statement and checkpoint not yet published, oldest first; returns how many."""
    target = archive()
    if target is None:
        return 0
    until = timezone.now() + dt.timedelta(days=settings.LEDGER_PUBLISH_RETENTION_DAYS)
    count = 0
    for kind, rows, location, text in (
            (Publication.Kind.KEY, LedgerKey.objects.order_by("id"), lambda k: f"{KEY_PREFIX}{k.id:06d}-{k.key_id}",
             key_text),
            (Publication.Kind.CHECKPOINT, Checkpoint.objects.order_by("id"), checkpoint_location, published_text)):
        done = set(Publication.objects.filter(kind=kind).values_list("object_id", flat=True))
        for row in rows.exclude(pk__in=done).iterator():
            where = target.put_once(location(row), text(row).encode("utf-8"), retain_until=until)
            try:
                with transaction.atomic():
                    Publication.objects.create(kind=kind, object_id=row.pk, location=where)
            except IntegrityError:
                pass  # published by a concurrent run; the store kept one copy of the same bytes
            count += 1
    return count


def publish_pending_quietly() -> None:
    """After a commit: a store that is down must not undo the checkpoint; the next scheduled run publishes it."""
    try:
        publish_pending()
    except Exception:  # noqa: BLE001
        log.exception("publishing checkpoints to the write-once store failed; the next checkpoint run retries")


@dataclass(frozen=True)
class PublishedKey:
    location: str
    statement: str
    signer: str
    signature: bytes
    stored_at: dt.datetime | None = None  # the store's own clock: the earliest first key is the pinned one


@dataclass
class Published:
    checkpoints: list[tuple[str, SignedCheckpoint]] = field(default_factory=list)
    keys: list[PublishedKey] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (location, why)
    error: str = ""  # the store could not be read at all
    configured: bool = True


def read_published() -> Published:
    found = Published()
    target = archive()
    if target is None:
        found.configured = False
        return found
    try:
        for location, data, written in target.read_versions(KEY_PREFIX):
            try:
                found.keys.append(_parse_key(location, data.decode("utf-8"), written))
            except (ValueError, KeyError, UnicodeDecodeError) as error:
                found.unreadable.append((location, str(error)))
        for location, data, _written in target.read_versions(CHECKPOINT_PREFIX):
            try:
                found.checkpoints.append((location, parse_published(data.decode("utf-8"))))
            except (ValueError, KeyError, UnicodeDecodeError) as error:
                found.unreadable.append((location, str(error)))
    except Exception as error:  # noqa: BLE001 — an unreachable store is reported, not raised
        found.error = f"{error.__class__.__name__}: {error}"
    return found


def _parse_key(location: str, text: str, written: dt.datetime | None = None) -> PublishedKey:
    head, separator, statement = text.partition("\n\n")
    lines = head.split("\n")
    if not separator or len(lines) != 3 or lines[0] != KEY_HEADER:
        raise ValueError("not a published key statement")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    return PublishedKey(location, statement, fields["signer"], bytes.fromhex(fields["signature"]), written)
