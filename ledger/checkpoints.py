"""Signing checkpoints, and the texts that carry them outside the database: the published copy in the write-once
store and the witness text the supervising office files."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lawtrace_verify import merkle
from lawtrace_verify.checkpoint import Checkpoint as CheckpointNote
from lawtrace_verify.checkpoint import parse_note

from ledger import signing, tree
from ledger.guard import LedgerBlocked, alert
from ledger.models import Checkpoint, LedgerKey


def make_checkpoint(*, force: bool = False, key: signing.SigningKey | None = None) -> Checkpoint | None:
    """Sign the current tree head. Without ``force`` nothing is signed when the log has not grown.

    A head that does not extend the last signed checkpoint is never signed: signing it would bless a rewrite.
    """
    from ledger import keys, publication

    key = key or keys.signing_key()
    with transaction.atomic():
        head = tree.locked_head()  # no append between reading the size and signing its root
        last = Checkpoint.objects.order_by("-id").first()
        if last is not None and last.size == head.size and last.key_id == key.key_id and not force:
            return None  # the log has not grown (a new key signs the same head once, to take over)
        root = tree.compact_range(head).root()
        if last is not None:
            _refuse_unless_extended(last, head.size, root)
        now = timezone.now()
        # To the microsecond, as the row keeps it: the stored time is checked against the signed one exactly.
        note = CheckpointNote(settings.LEDGER_ORIGIN, head.size, root,
                              now.astimezone(dt.UTC).isoformat(timespec="microseconds")).note()
        made = Checkpoint.objects.create(size=head.size, root=root, signed_at=now, note=note,
                                         algorithm=key.algorithm, key_id=key.key_id,
                                         signature=key.sign(note.encode("utf-8")))
        transaction.on_commit(publication.publish_pending_quietly, robust=True)
    return made


def _refuse_unless_extended(last: Checkpoint, size: int, root: bytes) -> None:
    try:
        signed = parse_note(last.note)  # what was signed, not the row's own columns
        old_size, old_root = signed.size, signed.root
        if old_size > size:
            problem = _("%(old)d events were signed, the head holds %(new)d") % {"old": old_size, "new": size}
        elif old_size == 0 or (old_size == size and old_root == root) or (old_size < size and merkle.verify_consistency(
                old_size, size, old_root, root, tree.consistency_proof(old_size, size))):
            return
        else:
            problem = _("checkpoint %(id)d") % {"id": last.id}
    except (LookupError, TypeError, ValueError) as error:
        problem = str(error)
    alert(blocked := LedgerBlocked.not_consistent(problem))
    raise blocked


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as it travels outside the database: the note, who signed it, the signature."""

    note: str
    algorithm: str
    key_id: str
    signature: bytes


PUBLISHED_HEADER = "lawtrace-signed-checkpoint"


def published_text(checkpoint: Checkpoint) -> str:
    return (f"{PUBLISHED_HEADER}\nalgorithm: {checkpoint.algorithm}\nkey: {checkpoint.key_id}\n"
            f"signature: {bytes(checkpoint.signature).hex()}\n\n{checkpoint.note}")


def parse_published(text: str) -> SignedCheckpoint:
    head, separator, note = text.partition("\n\n")
    lines = head.split("\n")
    if not separator or len(lines) != 4 or lines[0] != PUBLISHED_HEADER:
        raise ValueError("not a published checkpoint")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    return SignedCheckpoint(note, fields["algorithm"], fields["key"], bytes.fromhex(fields["signature"]))


def witness_text(day: dt.date | None = None) -> str:
    """What the supervising office files, and the agency publishes as its witness list: every signing key of the
    chain with its fingerprint, and the (day's) last checkpoint with its signature."""
    checkpoints = Checkpoint.objects.order_by("-id")
    if day is not None:
        checkpoints = checkpoints.filter(signed_at__date=day)
    last = checkpoints.first()
    lines = [_("Lawtrace event record: witness list"),
             _("ledger name: %(origin)s") % {"origin": settings.LEDGER_ORIGIN},
             _("signing keys, in the order they were introduced:")]
    for number, key in enumerate(LedgerKey.objects.order_by("id"), start=1):
        lines.append(_("%(n)d. algorithm %(algorithm)s, key fingerprint %(fingerprint)s, in use from event %(size)d "
                       "(%(at)s)") % {"n": number, "algorithm": signing.NAMES.get(key.algorithm, key.algorithm),
                                      "fingerprint": key.key_id, "size": key.tree_size - 1,
                                      "at": timezone.localtime(key.introduced_at).strftime("%Y-%m-%d %H:%M")})
        lines.append(_("   public key %(hex)s") % {"hex": bytes(key.public).hex()})
    if last is None:
        lines.append(_("checkpoint: none signed yet"))
    else:
        lines += [_("checkpoint:"), last.note.rstrip("\n"),
                  _("signed by key %(fingerprint)s") % {"fingerprint": last.key_id},
                  _("signature: %(hex)s") % {"hex": bytes(last.signature).hex()}]
    return "\n".join(lines) + "\n"


_NOTE_START = re.compile(r"^(?:checkpoint|检查点)[:：]\s*$")
_SIGNATURE = re.compile(r"^(?:signature|签名)[:：]\s*([0-9a-fA-F]+)\s*$")


def parse_witness_text(text: str) -> tuple[str, str]:
    """The checkpoint note and signature back out of what ``witness_text`` printed (this version or the earlier,
    English one)."""
    lines = text.splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if _NOTE_START.match(line.strip())), None)
    if start is None:
        raise ValueError(_("no checkpoint in this witness text"))
    note = "\n".join(lines[start:start + 4]) + "\n"
    signature = next((m.group(1) for line in lines[start + 4:] if (m := _SIGNATURE.match(line.strip()))), "")
    if not signature:
        raise ValueError(_("the witness text has no signature"))
    return note, signature
