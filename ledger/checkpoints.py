"""Signing checkpoints and printing them for an outside witness."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from lawtrace_verify.checkpoint import Checkpoint as CheckpointNote

from ledger import signing, tree
from ledger.models import Checkpoint


def make_checkpoint(*, force: bool = False) -> Checkpoint | None:
    """Sign the current tree head. Without ``force`` nothing is signed when the log has not grown."""
    key = signing.ensure_key()
    with transaction.atomic():
        head = tree.locked_head()  # no append between reading the size and signing its root
        last = Checkpoint.objects.order_by("-id").first()
        if last is not None and last.size == head.size and not force:
            return None
        root = tree.compact_range(head).root()
        now = timezone.now()
        note = CheckpointNote(settings.LEDGER_ORIGIN, head.size, root,
                              now.astimezone(dt.UTC).isoformat(timespec="seconds")).note()
        return Checkpoint.objects.create(size=head.size, root=root, signed_at=now, note=note,
                                         algorithm=key.algorithm, key_id=key.key_id,
                                         signature=key.sign(note.encode("utf-8")))


def witness_text(day: dt.date | None = None) -> str:
    """What the supervising authority files: the public key and the day's last checkpoint, signed."""
    key = signing.ensure_key()
    checkpoints = Checkpoint.objects.order_by("-id")
    if day is not None:
        checkpoints = checkpoints.filter(signed_at__date=day)
    last = checkpoints.first()
    lines = [f"algorithm: {key.algorithm}", f"public key: {key.public.hex()}", f"key fingerprint: {key.key_id}"]
    if last is None:
        lines.append("checkpoint: none")
    else:
        lines += ["checkpoint:", last.note.rstrip("\n"), f"signature: {bytes(last.signature).hex()}"]
    return "\n".join(lines) + "\n"


def parse_witness_text(text: str) -> tuple[str, str]:
    """The checkpoint note and signature back out of what ``witness_text`` printed."""
    lines = text.splitlines()
    try:
        start = lines.index("checkpoint:") + 1
    except ValueError as error:
        raise ValueError("no checkpoint in this witness text") from error
    note = "\n".join(lines[start:start + 4]) + "\n"
    signature = next((line.split(": ", 1)[1] for line in lines[start + 4:] if line.startswith("signature: ")), "")
    if not signature:
        raise ValueError("the witness text has no signature")
    return note, signature
