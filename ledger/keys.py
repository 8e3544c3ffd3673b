"""The chain of checkpoint signing keys (design: "trust nothing the database holds alone").

The first key is pinned at install: its statement is written to the chain and published to the write-once store.
A later key enters only through a statement the key before it signed, recorded as a ``ledger.key_change`` event that
a checkpoint of the old key covers. Verification trusts a checkpoint only when its key is in the published chain;
a key found on disk or in the database that the chain does not introduce signs nothing.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from lawtrace_verify.checkpoint import KeyStatement

from ledger import signing, tree
from ledger.events import SYSTEM, RequestContext, record_event
from ledger.models import LedgerKey


class KeyNotPinned(signing.SigningUnavailable):
    """The key on disk is not the one the chain says signs now: nothing is signed until that is resolved."""


def chain() -> list[LedgerKey]:
    return list(LedgerKey.objects.order_by("id"))


def current() -> LedgerKey | None:
    return LedgerKey.objects.order_by("-id").first()


def public_key(key_id: str) -> tuple[str, bytes] | None:
    """The algorithm and public key of a key in the chain, or None for a key the chain does not know."""
    row = LedgerKey.objects.filter(key_id=key_id).values_list("algorithm", "public").first()
    return (row[0], bytes(row[1])) if row else None


def signing_key() -> signing.SigningKey:
    """The key that signs now, loaded from disk and checked against the chain.

    At first use the key on disk is pinned. When the configured algorithm changed, a key of the new algorithm is
    introduced by the old one. A key on disk that is not the chain's last refuses to sign.
    """
    last = current()
    if last is None:
        return _pin(signing.ensure_key())
    key = _on_disk(last)
    if last.algorithm != signing.configured_algorithm():
        return rotate(algorithm=signing.configured_algorithm())
    return key


def _on_disk(row: LedgerKey) -> signing.SigningKey:
    key = signing.load_key(row.algorithm)
    if key is not None and key.public == bytes(row.public):
        return key
    waiting = signing.next_key(row.algorithm) if _next_exists(row.algorithm) else None
    if waiting is not None and waiting.public == bytes(row.public):
        # The rotation committed but stopped before putting the new key in place: finish it.
        signing.install_next(row.algorithm)
        return signing.load_key(row.algorithm)
    raise KeyNotPinned(f"the {row.algorithm} key in {signing.key_dir()} is not the pinned key {row.key_id}; "
                       "restore it from the backup, or introduce a new key with 'ledger rotate-key' using the old one")


def _next_exists(algorithm: str) -> bool:
    return (signing.key_dir() / (signing.FILES[algorithm][0] + ".next")).exists()


def _statement(key: signing.SigningKey, size: int, previous: str) -> str:
    stamp = timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds")
    return KeyStatement(settings.LEDGER_ORIGIN, key.algorithm, key.public, size, previous, stamp).text()


def _pin(key: signing.SigningKey) -> signing.SigningKey:
    with transaction.atomic():
        head = tree.locked_head()
        if LedgerKey.objects.exists():  # pinned by a concurrent first use
            return _on_disk(current())
        statement = _statement(key, head.size + 1, "")
        row = LedgerKey.objects.create(algorithm=key.algorithm, public=key.public, key_id=key.key_id,
                                       tree_size=head.size + 1, previous_key_id="", statement=statement,
                                       signature=key.sign(statement.encode("utf-8")), introduced_at=timezone.now())
        record_event("ledger.key_pin", obj=row, detail={"algorithm": key.algorithm, "fingerprint": key.key_id})
        _publish_on_commit()
    return key


def rotate(*, algorithm: str | None = None, actor=None, context: RequestContext = SYSTEM) -> signing.SigningKey:
    """Introduce a new signing key with the current one: a key-change event, the new key's statement signed by the
    old key, and a checkpoint of the old key covering both. Returns the new key, installed."""
    from ledger.checkpoints import make_checkpoint

    algorithm = algorithm or signing.configured_algorithm()
    with transaction.atomic():
        last = current()
        old = _on_disk(last) if last is not None else _pin(signing.ensure_key())
        head = tree.locked_head()  # after any pinning: the key-change event takes the next place
        # Within one algorithm the new key waits beside the old one; another algorithm has its own file.
        new = signing.next_key(algorithm) if algorithm == old.algorithm else signing.ensure_key(algorithm)
        if new.key_id == old.key_id:
            raise signing.SigningUnavailable("the new key is the current key")
        statement = _statement(new, head.size + 1, old.key_id)
        row = LedgerKey.objects.create(algorithm=new.algorithm, public=new.public, key_id=new.key_id,
                                       tree_size=head.size + 1, previous_key_id=old.key_id, statement=statement,
                                       signature=old.sign(statement.encode("utf-8")), introduced_at=timezone.now())
        record_event("ledger.key_change", actor=actor, obj=row, context=context,
                     detail={"from": old.key_id, "to": new.key_id, "algorithm": new.algorithm})
        make_checkpoint(force=True, key=old)
        _publish_on_commit()
    if algorithm == old.algorithm:
        signing.install_next(algorithm)
    return signing.load_key(algorithm)


def _publish_on_commit() -> None:
    from ledger import publication

    transaction.on_commit(publication.publish_pending_quietly, robust=True)
