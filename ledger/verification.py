"""Recompute the whole ledger from its event rows and compare with what is stored and what was signed.

Reads the events in order once, in chunks, so memory stays small apart from one 32-byte hash per internal node
(compared afterwards with the stored tree).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _
from lawtrace_verify import merkle
from lawtrace_verify.canonical import EVENT_FIELDS, bytes_from_texts, value_text
from lawtrace_verify.checkpoint import parse_note, verify_signature

from ledger import signing, tree
from ledger.events import canonical_time
from ledger.models import Checkpoint, Event, MerkleNode

CHUNK = 5000
MAX_LISTED = 200  # a mass edit is reported by its first rows and a count, not a million lines


@dataclass(frozen=True)
class Problem:
    kind: str
    where: str
    message: str


@dataclass
class Report:
    events_checked: int = 0
    checkpoints_checked: int = 0
    bytes_hashed: int = 0
    problems: list[Problem] = field(default_factory=list)
    unlisted: int = 0

    @property
    def passed(self) -> bool:
        return not self.problems and not self.unlisted

    def add(self, kind: str, where: str, message: str) -> None:
        if len(self.problems) < MAX_LISTED:
            self.problems.append(Problem(kind, where, message))
        else:
            self.unlisted += 1

    def as_json(self) -> list[dict]:
        listed = [asdict(p) for p in self.problems]
        if self.unlisted:
            listed.append({"kind": "more", "where": "", "message": _("%(n)d more problems not listed.")
                           % {"n": self.unlisted}})
        return listed


def verify_ledger(progress: Callable[[int, int], None] | None = None) -> Report:
    report = Report()
    size = tree.current_size()
    checkpoints = list(Checkpoint.objects.order_by("id"))
    wanted_roots = {c.size for c in checkpoints}
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT} if 0 in wanted_roots else {}
    rebuilt = merkle.CompactRange()
    internal: dict[int, bytearray] = {}
    expected = 0
    last_seq = -1

    rows = Event.objects.order_by("seq").values_list(*EVENT_FIELDS, "leaf")
    while True:
        chunk = list(rows.filter(seq__gt=last_seq)[:CHUNK])
        if not chunk:
            break
        for *values, stored in chunk:
            seq = values[0]
            last_seq = seq
            if seq >= size:
                message = _("Event %(seq)d is beyond the ledger's size %(size)d: it was written behind the "
                            "application's back.") % {"seq": seq, "size": size}
                report.add("inserted", f"#{seq}", message)
                continue
            while expected < seq:
                report.add("deleted", f"#{expected}", _("Event %(seq)d is missing: the row was deleted.")
                           % {"seq": expected})
                _append_missing(rebuilt, expected, internal, roots, wanted_roots)
                expected += 1
            data = bytes_from_texts([value_text(value) for value in (seq, canonical_time(values[1]), *values[2:])])
            report.bytes_hashed += len(data)
            leaf = merkle.leaf_hash(data)
            if stored is None:
                report.add("node", f"#{seq}", _("Event %(seq)d has no stored leaf hash.") % {"seq": seq})
            elif bytes(stored) != leaf:
                report.add("changed", f"#{seq}", _("Event %(seq)d (%(verb)s) differs from what was recorded: the "
                                                   "row was changed after it was written.")
                           % {"seq": seq, "verb": values[2]})
            _append(rebuilt, leaf, internal, roots, wanted_roots)
            expected += 1
            report.events_checked += 1
        if progress:
            progress(expected, size)
    while expected < size:
        report.add("deleted", f"#{expected}", _("Event %(seq)d is missing: the row was deleted.") % {"seq": expected})
        _append_missing(rebuilt, expected, internal, roots, wanted_roots)
        expected += 1

    _compare_internal_nodes(internal, report)
    _check_checkpoints(checkpoints, roots, size, report)
    return report


def _append(rebuilt: merkle.CompactRange, leaf: bytes, internal: dict[int, bytearray], roots: dict[int, bytes],
            wanted: set[int]) -> None:
    for level, _index, digest in rebuilt.append(leaf)[1:]:
        internal.setdefault(level, bytearray()).extend(digest)
    if rebuilt.size in wanted:
        roots[rebuilt.size] = rebuilt.root()


def _append_missing(rebuilt, seq, internal, roots, wanted) -> None:
    # A deleted row still occupies its place; hash a marker so later positions line up and roots will differ.
    _append(rebuilt, merkle.leaf_hash(b"missing event %d" % seq), internal, roots, wanted)


def _compare_internal_nodes(internal: dict[int, bytearray], report: Report) -> None:
    for level, hashes in sorted(internal.items()):
        count = len(hashes) // tree.HASH_SIZE
        stored = MerkleNode.objects.filter(key__gte=tree.node_key(level, 0), key__lt=tree.node_key(level, count)) \
            .order_by("key").values_list("key", "hash")
        seen = 0
        for key, digest in stored.iterator(chunk_size=CHUNK):
            index = key - tree.node_key(level, 0)
            seen += 1
            if bytes(digest) != bytes(hashes[index * tree.HASH_SIZE:(index + 1) * tree.HASH_SIZE]):
                message = _("Stored tree node at level %(level)d, index %(index)d does not match the events.") \
                    % {"level": level, "index": index}
                report.add("node", f"L{level}/{index}", message)
        if seen != count:
            report.add("node", f"L{level}", _("%(n)d stored tree nodes at level %(level)d are missing.")
                       % {"n": count - seen, "level": level})


def _check_checkpoints(checkpoints: list[Checkpoint], roots: dict[int, bytes], size: int, report: Report) -> None:
    keys: dict[str, signing.SigningKey | None] = {}
    largest_seen: Checkpoint | None = None
    by_size: dict[int, bytes] = {}
    for checkpoint in checkpoints:
        report.checkpoints_checked += 1
        where = _("checkpoint %(id)d (size %(size)d)") % {"id": checkpoint.id, "size": checkpoint.size}
        note, root = checkpoint.note, bytes(checkpoint.root)
        if checkpoint.algorithm not in keys:
            try:
                keys[checkpoint.algorithm] = signing.ensure_key(checkpoint.algorithm)
            except signing.SigningUnavailable:
                keys[checkpoint.algorithm] = None
        key = keys[checkpoint.algorithm]
        if key is None or checkpoint.key_id != key.key_id or not verify_signature(
                checkpoint.algorithm, key.public, note, bytes(checkpoint.signature)):
            report.add("signature", where, _("The signature does not verify with the ledger's public key."))
            continue
        parsed = parse_note(note)
        if parsed.size != checkpoint.size or parsed.root != root:
            report.add("checkpoint", where, _("The stored size or root differs from the signed text."))
            continue
        if largest_seen is not None and checkpoint.size < largest_seen.size:
            report.add("rollback", where, _("Smaller than checkpoint %(id)d signed before it: the ledger was rolled "
                                            "back.") % {"id": largest_seen.id})
        if checkpoint.size in by_size and by_size[checkpoint.size] != root:
            report.add("split", where, _("Two different roots were signed for the same size."))
        by_size.setdefault(checkpoint.size, root)
        if checkpoint.size > size:
            report.add("rollback", where, _("The ledger now holds fewer events (%(size)d) than this checkpoint "
                                            "signed.") % {"size": size})
        elif roots.get(checkpoint.size) != root:
            report.add("root", where, _("The events no longer produce the signed root."))
        if largest_seen is not None and largest_seen.size <= checkpoint.size <= size:
            _check_consistency(largest_seen, checkpoint, where, report)
        if largest_seen is None or checkpoint.size >= largest_seen.size:
            largest_seen = checkpoint


def _check_consistency(older: Checkpoint, newer: Checkpoint, where: str, report: Report) -> None:
    if older.size == 0:
        return
    try:
        proof = tree.consistency_proof(older.size, newer.size)
    except LookupError as error:
        report.add("node", where, str(error))
        return
    if not merkle.verify_consistency(older.size, newer.size, bytes(older.root), bytes(newer.root), proof):
        report.add("consistency", where, _("Not consistent with checkpoint %(id)d: the history between them was "
                                           "rewritten.") % {"id": older.id})


def check_witness_note(note: str, signature_hex: str) -> list[Problem]:
    """A checkpoint a witness kept: is it ours, and does today's ledger still contain it?"""
    key = signing.ensure_key()
    problems: list[Problem] = []
    where = _("witnessed checkpoint")
    if not verify_signature(key.algorithm, key.public, note, bytes.fromhex(signature_hex)):
        return [Problem("signature", where, _("The signature does not verify with the ledger's public key."))]
    parsed = parse_note(note)
    size = tree.current_size()
    if parsed.size > size:
        problems.append(Problem("rollback", where, _("The ledger now holds fewer events (%(size)d) than this "
                                                     "checkpoint signed.") % {"size": size}))
    elif tree.root_at(parsed.size) != parsed.root:
        problems.append(Problem("root", where, _("The events no longer produce the signed root.")))
    return problems
