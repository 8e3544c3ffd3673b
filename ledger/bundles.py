"""Proof bundles: events with their inclusion proofs against a signed checkpoint, checkable by lawtrace-verify."""

from __future__ import annotations

from collections.abc import Sequence

from lawtrace_verify import FORMAT
from lawtrace_verify.checkpoint import key_id

from ledger import checkpoints, keys, signing, tree
from ledger.events import event_fields
from ledger.models import Checkpoint, Event


def _signer(checkpoint: Checkpoint) -> tuple[str, bytes]:
    """The key that signed the checkpoint, from the chain of keys (the key signing now may be a later one)."""
    found = keys.public_key(checkpoint.key_id)
    if found is None:
        raise ValueError(f"checkpoint {checkpoint.id} is signed by key {checkpoint.key_id}, unknown to the chain")
    return found


def covering_checkpoint(events: Sequence[Event]) -> Checkpoint:
    """The latest checkpoint if it already covers these events, otherwise a new one signed now."""
    needed = max((e.seq for e in events), default=-1) + 1
    latest = Checkpoint.objects.order_by("-id").first()
    if latest is not None and latest.size >= needed and latest.size > 0:
        return latest
    return checkpoints.make_checkpoint(force=True)


def proof_bundle(events: Sequence[Event], files: Sequence[dict] = (), checkpoint: Checkpoint | None = None) -> dict:
    """``files`` are ``{"path", "sha256", "sm3"}`` entries relative to where the bundle will be written."""
    checkpoint = checkpoint or covering_checkpoint(events)
    algorithm, public = _signer(checkpoint)
    items = []
    for event in sorted(events, key=lambda e: e.seq):
        if event.seq >= checkpoint.size:
            raise ValueError(f"event {event.seq} is not covered by checkpoint {checkpoint.id}")
        fields = event_fields(event)
        items.append({"index": event.seq, "event": fields,
                      "proof": [h.hex() for h in tree.inclusion_proof(event.seq, checkpoint.size)]})
    return {
        "format": FORMAT,
        "public_key": {"algorithm": algorithm, "key": public.hex(), "key_id": key_id(public)},
        "checkpoint": {"note": checkpoint.note, "signature": bytes(checkpoint.signature).hex()},
        "events": items,
        "files": list(files),
    }


def event_is_proven(event: Event, checkpoint: Checkpoint) -> bool:
    """Whether the event, as stored now, is included in the signed checkpoint (signature and inclusion proof)."""
    from lawtrace_verify import merkle
    from lawtrace_verify.canonical import canonical_bytes
    from lawtrace_verify.checkpoint import parse_note

    if event.seq >= checkpoint.size:
        return False
    algorithm, public = _signer(checkpoint)
    if not signing.verify(algorithm, public, checkpoint.note.encode("utf-8"), bytes(checkpoint.signature)):
        return False
    root = parse_note(checkpoint.note).root
    leaf = merkle.leaf_hash(canonical_bytes(event_fields(event)))
    return merkle.verify_inclusion(leaf, event.seq, checkpoint.size, tree.inclusion_proof(event.seq, checkpoint.size),
                                   root)
