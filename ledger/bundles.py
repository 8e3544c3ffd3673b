"""Proof bundles: events with their inclusion proofs against a signed checkpoint, checkable by lawtrace-verify."""

from __future__ import annotations

from collections.abc import Sequence

from lawtrace_verify import FORMAT

from ledger import checkpoints, signing, tree
from ledger.events import event_fields
from ledger.models import Checkpoint, Event


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
    key = signing.ensure_key(checkpoint.algorithm)
    items = []
    for event in sorted(events, key=lambda e: e.seq):
        if event.seq >= checkpoint.size:
            raise ValueError(f"event {event.seq} is not covered by checkpoint {checkpoint.id}")
        fields = event_fields(event)
        items.append({"index": event.seq, "event": fields,
                      "proof": [h.hex() for h in tree.inclusion_proof(event.seq, checkpoint.size)]})
    return {
        "format": FORMAT,
        "public_key": {"algorithm": checkpoint.algorithm, "key": key.public.hex(), "key_id": key.key_id},
        "checkpoint": {"note": checkpoint.note, "signature": bytes(checkpoint.signature).hex()},
        "events": items,
        "files": list(files),
    }


def event_is_proven(event: Event, checkpoint: Checkpoint) -> bool:
    """Whether the event, as stored now, is included in the signed checkpoint (signature and inclusion proof)."""
    from lawtrace_verify import merkle
    from lawtrace_verify.canonical import canonical_bytes
    from lawtrace_verify.checkpoint import parse_note, verify_signature

    if event.seq >= checkpoint.size:
        return False
    key = signing.ensure_key(checkpoint.algorithm)
    if not verify_signature(checkpoint.algorithm, key.public, checkpoint.note, bytes(checkpoint.signature)):
        return False
    root = parse_note(checkpoint.note).root
    leaf = merkle.leaf_hash(canonical_bytes(event_fields(event)))
    return merkle.verify_inclusion(leaf, event.seq, checkpoint.size, tree.inclusion_proof(event.seq, checkpoint.size),
                                   root)
