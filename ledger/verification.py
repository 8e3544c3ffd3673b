"""Recompute the whole ledger from its event rows and compare it with what the database stores, what was signed, and
what was published outside the database's reach.

Checked, each problem naming its row, node, checkpoint, key or published object:
every event row against its leaf (``rebuild``); the stored tree nodes and the head; every checkpoint in the database
and every copy in the write-once store against the rebuilt roots, signed by a key of the trusted chain (``trust``);
the time order of events and their times against the checkpoints around them; and the facts other apps bound to the
log (``bindings``). Whatever bytes a row holds, the answer is a report.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lawtrace_verify.checkpoint import parse_note

from ledger import bindings, rawsql, rebuild, signing, tree
from ledger.checkpoints import SignedCheckpoint
from ledger.models import Checkpoint, Event, LedgerHead, MerkleNode
from ledger.publication import Published, read_published
from ledger.rebuild import CHUNK
from ledger.trust import Trust, TrustedKey, trusted_keys

log = logging.getLogger(__name__)
MAX_LISTED = 200  # a mass edit is reported by its first rows and a count, not a million lines
NODE_BATCH = 1 << 16

KIND_LABELS = {
    "inserted": gettext_lazy("row written behind the application"), "deleted": gettext_lazy("row deleted"),
    "changed": gettext_lazy("row changed"), "unreadable": gettext_lazy("row unreadable"),
    "leaf": gettext_lazy("leaf hash missing"), "node": gettext_lazy("tree node"), "head": gettext_lazy("ledger head"),
    "signature": gettext_lazy("signature"), "checkpoint": gettext_lazy("checkpoint"),
    "rollback": gettext_lazy("rolled back"), "split": gettext_lazy("two histories"),
    "root": gettext_lazy("signed root"), "published": gettext_lazy("published checkpoint"),
    "key": gettext_lazy("signing key"), "time": gettext_lazy("time order"), "record": gettext_lazy("evidence record"),
    "derivative": gettext_lazy("derivative"), "error": gettext_lazy("verification error"),
    "more": gettext_lazy("more"),
}


@dataclass(frozen=True)
class Problem:
    kind: str
    where: str
    message: str
    ref: str = ""  # machine-readable: "event:12", "checkpoint:3", "record:7", "published:ledger/…"

    @property
    def label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


@dataclass
class Report:
    events_checked: int = 0
    checkpoints_checked: int = 0
    published_checked: int = 0
    bytes_hashed: int = 0
    problems: list[Problem] = field(default_factory=list)
    unlisted: int = 0

    @property
    def passed(self) -> bool:
        return not self.problems and not self.unlisted

    def add(self, kind: str, where: str, message: str, ref: str = "") -> None:
        if len(self.problems) < MAX_LISTED:
            self.problems.append(Problem(kind, where, message, ref))
        else:
            self.unlisted += 1

    def as_json(self) -> list[dict]:
        listed = [{**asdict(p), "label": p.label} for p in self.problems]
        if self.unlisted:
            listed.append({"kind": "more", "label": str(KIND_LABELS["more"]), "where": "", "ref": "",
                           "message": _("%(n)d more problems not listed.") % {"n": self.unlisted}})
        return listed


@dataclass(frozen=True)
class _Signed:
    """A checkpoint from the database or the write-once store, as read."""

    source: str  # "db" or "published"
    where: str
    ref: str
    signed: SignedCheckpoint
    row_id: int | None = None
    row_size: object = None
    row_root: object = None
    row_signed_at: object = None


def verify_ledger(progress: Callable[[int, int], None] | None = None, *,
                  published: Published | None = None) -> Report:
    """The whole check, on one snapshot of the database (``rawsql.one_snapshot``): what nodes append meanwhile is
    left for the next run, never mistaken for tampering. ``progress`` must not write through this connection."""
    published = read_published() if published is None else published  # before the snapshot: all of it is in there
    with rawsql.one_snapshot():
        return _verify(published, progress)


def _verify(published: Published, progress: Callable[[int, int], None] | None) -> Report:
    report = Report()
    _report_published(published, report)
    trust = trusted_keys(published)
    for problem in trust.problems:
        report.add(*problem)
    size, edge = _head(report)
    entries = _database_checkpoints(report) + _published_checkpoints(published, report)
    valid = _valid_signatures(entries, trust, report)
    wanted = {size} | {parse_note(e.signed.note).size for e in valid}
    wanted = {s for s in wanted if 0 < s <= size}
    anchors = _Anchors(valid)
    order = _TimeOrder(report, anchors.positions)

    def row_problem(kind: str, seq: int, why: str) -> None:
        _row_problem(report, kind, seq, why)

    rebuilt, report.events_checked, report.bytes_hashed = rebuild.rebuild(
        size, {s - 1 for s in wanted if s & 1}, row_problem, order.check, progress)
    _rows_past(size, report)
    _compare_nodes(rebuilt, report)
    _compare_head(rebuilt, size, edge, report)
    _check_checkpoints(entries, valid, rebuilt, size, published, report)
    _check_key_changes(trust, valid, report)
    anchors.check(order.times, report)
    _check_bindings(report)
    return report


def _row_problem(report: Report, kind: str, seq: int, why: str) -> None:
    where, ref = f"#{seq}", f"event:{seq}"
    if kind == "deleted":
        report.add(kind, where, _("Event %(seq)d is missing: the row was deleted.") % {"seq": seq}, ref)
    elif kind == "unreadable":
        report.add(kind, where, _("Event %(seq)d cannot be read (%(why)s): the row was changed after it was "
                                  "written.") % {"seq": seq, "why": why}, ref)
    elif kind == "leaf":
        report.add(kind, where, _("Event %(seq)d has no stored leaf hash.") % {"seq": seq}, ref)
    else:
        report.add(kind, where, _("Event %(seq)d differs from what was recorded: the row was changed after it was "
                                  "written.") % {"seq": seq}, ref)


def _report_published(published: Published, report: Report) -> None:
    if not published.configured:
        report.add("published", _("write-once store"), _("No write-once store is configured: checkpoints are not "
                                                         "published outside the database."), "published:none")
    if published.error:
        report.add("published", _("write-once store"), _("The published checkpoints could not be read (%(error)s): "
                                                         "the ledger cannot be checked against them.")
                   % {"error": published.error}, "published:store")
    for location, why in published.unreadable:
        report.add("published", location, _("The published object cannot be read (%(why)s): it was changed in the "
                                            "store.") % {"why": why}, f"published:{location}")


def _head(report: Report) -> tuple[int, bytes]:
    """The head's size and right edge, read together."""
    rows = rawsql.select(LedgerHead._meta.db_table, ("id", "size", "edge"))
    head = next((row for row in rows if row[0] == 1), None)
    if head is None or not isinstance(head[1], int) or head[1] < 0:
        highest = Event.objects.order_by("-seq").values_list("seq", flat=True).first()
        if head is not None or highest is not None:
            report.add("head", _("ledger head"), _("The head row is missing or unreadable: it was changed behind the "
                                                   "application's back."), "head")
        return (0 if highest is None else highest + 1), b""
    return head[1], rawsql.blob(head[2]) or b""


def _rows_past(size: int, report: Report) -> None:
    with rawsql.cursor() as cursor:
        cursor.execute(f"SELECT seq FROM {Event._meta.db_table} WHERE seq >= %s OR seq < 0 ORDER BY seq LIMIT %s",
                       [size, MAX_LISTED + 1])
        for (seq,) in cursor.fetchall():
            report.add("inserted", f"#{seq}", _("Event %(seq)d is beyond the ledger's size %(size)d: it was written "
                                                "behind the application's back, or the head was rolled back.")
                       % {"seq": seq, "size": size}, f"event:{seq}")


def _compare_nodes(rebuilt: rebuild.Rebuilt, report: Report) -> None:
    table = MerkleNode._meta.db_table
    for level in range(1, len(rebuilt.levels)):
        expected = rebuilt.levels[level]
        count = len(expected) // rebuild.HASH
        for first in range(0, count, NODE_BATCH):
            last = min(first + NODE_BATCH, count)
            with rawsql.cursor() as cursor:
                cursor.execute(f'SELECT "key", hash FROM {table} WHERE "key" >= %s AND "key" < %s ORDER BY "key"',
                               [tree.node_key(level, first), tree.node_key(level, last)])
                stored = cursor.fetchall()
            want = bytes(expected[first * rebuild.HASH:last * rebuild.HASH])
            if len(stored) == last - first and all(isinstance(h, bytes) for _k, h in stored) \
                    and b"".join(h for _k, h in stored) == want:
                continue
            found = {key - tree.node_key(level, 0): rawsql.blob(digest) for key, digest in stored}
            for index in range(first, last):
                if index not in found:
                    report.add("node", f"L{level}/{index}", _("Stored tree node at level %(level)d, index %(index)d "
                                                              "is missing.") % {"level": level, "index": index},
                               f"node:{level}/{index}")
                elif found[index] != want[(index - first) * rebuild.HASH:(index - first + 1) * rebuild.HASH]:
                    report.add("node", f"L{level}/{index}", _("Stored tree node at level %(level)d, index %(index)d "
                                                              "does not match the events.")
                               % {"level": level, "index": index}, f"node:{level}/{index}")


def _compare_head(rebuilt: rebuild.Rebuilt, size: int, edge: bytes, report: Report) -> None:
    if size and edge != b"".join(rebuilt.edge(size)):
        report.add("head", _("ledger head"), _("The head's right edge does not match the events: the next appends "
                                               "would build on forged hashes."), "head")


def _database_checkpoints(report: Report) -> list[_Signed]:
    columns = ("id", "size", "root", "signed_at", "note", "algorithm", "key_id", "signature")
    entries = []
    for row_id, size, root, signed_at, note, algorithm, key, signature in rawsql.select(
            Checkpoint._meta.db_table, columns, times=("signed_at",)):
        where = _("checkpoint %(id)s (size %(size)s)") % {"id": row_id, "size": size}
        try:
            signed = SignedCheckpoint(rawsql.text(note), rawsql.text(algorithm), rawsql.text(key),
                                      rawsql.blob(signature) or b"")
        except ValueError as error:
            report.add("checkpoint", where, _("The row cannot be read (%(why)s).") % {"why": error},
                       f"checkpoint:{row_id}")
            continue
        entries.append(_Signed("db", where, f"checkpoint:{row_id}", signed, row_id, size, root, signed_at))
    report.checkpoints_checked = len(entries)
    return entries


def _published_checkpoints(published: Published, report: Report) -> list[_Signed]:
    report.published_checked = len(published.checkpoints)
    return [_Signed("published", _("published checkpoint %(where)s") % {"where": location}, f"published:{location}",
                    signed) for location, signed in published.checkpoints]


def _valid_signatures(entries: list[_Signed], trust: Trust, report: Report) -> list[_Signed]:
    """Entries signed by a trusted key over a well-formed note; the rest are reported."""
    valid, verified = [], {}
    for entry in entries:
        signed = entry.signed
        key = trust.find(signed.key_id)
        if key is None or key.algorithm != signed.algorithm:
            report.add("signature", entry.where, _("Signed by key %(key)s, which the ledger's chain of trusted keys "
                                                   "does not introduce: not a checkpoint of this ledger.")
                       % {"key": signed.key_id}, entry.ref)
            continue
        token = (signed.key_id, signed.note, signed.signature)
        if token not in verified:
            verified[token] = signing.verify(key.algorithm, key.public, signed.note.encode("utf-8"), signed.signature)
        if not verified[token]:
            report.add("signature", entry.where, _("The signature does not verify with the ledger's public key."),
                       entry.ref)
            continue
        try:
            note = parse_note(signed.note)
        except ValueError as error:
            report.add("checkpoint", entry.where, _("The signed text is not a checkpoint (%(why)s).") % {"why": error},
                       entry.ref)
            continue
        if key.previous and note.size < key.tree_size:
            report.add("signature", entry.where, _("Signed by key %(key)s for %(size)d events, but that key was only "
                                                   "introduced at %(from)d events: history was signed again.")
                       % {"key": key.key_id, "size": note.size, "from": key.tree_size}, entry.ref)
            continue
        if entry.source == "db":
            matches = _row_matches(entry, note)
            if matches is not True:
                report.add("checkpoint", entry.where, _("The stored %(what)s differs from the signed text.")
                           % {"what": matches}, entry.ref)
                if matches != _("time"):
                    continue
        valid.append(entry)
    return valid


def _row_matches(entry: _Signed, note) -> bool | str:
    """True, or which of the row's own columns says otherwise than the signed note."""
    if entry.row_size != note.size or rawsql.blob(entry.row_root) != note.root:
        return _("size or root")
    try:
        gap = rawsql.moment(entry.row_signed_at) - dt.datetime.fromisoformat(note.timestamp)
    except (ValueError, TypeError, OverflowError):
        return _("time")
    # Notes signed before they carried microseconds hold whole seconds: the row's time falls within that second.
    window = dt.timedelta(0) if "." in note.timestamp else dt.timedelta(seconds=1)
    return True if gap == dt.timedelta(0) or dt.timedelta(0) <= gap < window else _("time")


def _check_checkpoints(entries: list[_Signed], valid: list[_Signed], rebuilt: rebuild.Rebuilt, size: int,
                       published: Published, report: Report) -> None:
    in_database = {(e.signed.note, e.signed.signature) for e in entries if e.source == "db"}
    largest: _Signed | None = None
    by_size: dict[int, bytes] = {}
    for entry in valid:
        note = parse_note(entry.signed.note)
        copy_of_row = entry.source == "published" and (entry.signed.note, entry.signed.signature) in in_database
        if entry.source == "published" and not copy_of_row:
            report.add("published", entry.where, _("This published checkpoint (size %(size)d) is no longer in the "
                                                   "database: checkpoint rows were deleted.") % {"size": note.size},
                       entry.ref)
        if entry.source == "db":
            if largest is not None and note.size < parse_note(largest.signed.note).size:
                report.add("rollback", entry.where, _("Smaller than %(other)s signed before it: the ledger was rolled "
                                                      "back.") % {"other": largest.where}, entry.ref)
            if largest is None or note.size >= parse_note(largest.signed.note).size:
                largest = entry
        if note.size in by_size and by_size[note.size] != note.root:
            report.add("split", entry.where, _("Two different roots were signed for the same size."), entry.ref)
        by_size.setdefault(note.size, note.root)
        if copy_of_row:
            continue  # its row was judged already
        if note.size > size:
            report.add("rollback", entry.where, _("The ledger now holds fewer events (%(size)d) than this checkpoint "
                                                  "signed (%(signed)d).") % {"size": size, "signed": note.size},
                       entry.ref)
        elif rebuilt.root(note.size) != note.root:
            report.add("root", entry.where, _("The events no longer produce the signed root."), entry.ref)
    _unpublished(entries, published, report)


def _unpublished(entries: list[_Signed], published: Published, report: Report) -> None:
    if not published.configured or published.error:
        return
    copies = {(signed.note, signed.signature) for _location, signed in published.checkpoints}
    grace = timezone.now() - dt.timedelta(minutes=settings.LEDGER_PUBLISH_GRACE_MINUTES)
    for entry in entries:
        if entry.source != "db" or (entry.signed.note, entry.signed.signature) in copies:
            continue
        try:
            old = rawsql.moment(entry.row_signed_at) < grace
        except (ValueError, TypeError):
            old = True
        if old:
            report.add("published", entry.where, _("This checkpoint is not in the write-once store although it was "
                                                   "signed long ago: its published copy was removed, or publishing "
                                                   "has failed."), entry.ref)


def _check_key_changes(trust: Trust, valid: list[_Signed], report: Report) -> None:
    """Each later key was introduced by an event that a checkpoint of the key before it covers."""
    covered: dict[str, int] = {}
    for entry in valid:
        size = parse_note(entry.signed.note).size
        covered[entry.signed.key_id] = max(covered.get(entry.signed.key_id, 0), size)
    for previous, key in zip(trust.keys, trust.keys[1:], strict=False):
        event = Event.objects.filter(seq=key.tree_size - 1).values_list("verb", "object_type").first()
        where = _("signing key %(key)s") % {"key": key.key_id}
        if event != ("ledger.key_change", "ledger.ledgerkey"):
            report.add("key", where, _("No key-change event at %(seq)d introduces this key.")
                       % {"seq": key.tree_size - 1}, f"key:{key.key_id}")
        elif covered.get(previous.key_id, 0) < key.tree_size:
            report.add("key", where, _("No checkpoint signed by the previous key %(old)s covers the change to this "
                                       "key.") % {"old": previous.key_id}, f"key:{key.key_id}")


class _TimeOrder:
    """Each event's time against the one before it: earlier by more than the tolerance is reported."""

    def __init__(self, report: Report, keep: set[int]) -> None:
        self.report, self.keep = report, keep
        self.previous: tuple[int, bytes] | None = None
        self.times: dict[int, bytes] = {}
        self.tolerance = dt.timedelta(seconds=settings.LEDGER_TIME_TOLERANCE_SECONDS)

    def check(self, start: int, rows: list[rebuild.Row]) -> None:
        if self.keep:
            for position in self.keep.intersection(range(start, start + CHUNK)):
                index = position - start
                row = rows[index] if index < len(rows) and rows[index][0] == position else \
                    next((r for r in rows if r[0] == position), None)
                if row is not None and row[3] is not None:
                    self.times[position] = row[3]
        times = [row[3] for row in rows]
        if self.previous is not None:
            times.insert(0, self.previous[1])
        try:
            in_order = times == sorted(times)  # the usual case, decided in C
        except TypeError:
            in_order = False  # a row without a time: looked at one by one
        if in_order:
            if rows:
                self.previous = (rows[-1][0], rows[-1][3])
            return
        previous = self.previous
        for row in rows:
            moment = row[3]
            if moment is None:
                continue
            if previous is not None and moment < previous[1]:
                self._late(row[0], moment, *previous)
            previous = (row[0], moment)
        self.previous = previous

    def _late(self, seq: int, moment: bytes, before: int, before_moment: bytes) -> None:
        try:
            gap = _parse(before_moment) - _parse(moment)
        except ValueError:
            return
        if gap > self.tolerance:
            self.report.add("time", f"#{seq}", _("Event %(seq)d is dated %(gap)s before event %(before)d that precedes "
                                                 "it in the log: it was back-dated, or the one before it "
                                                 "forward-dated.") % {"seq": seq, "gap": _span(gap), "before": before},
                            f"event:{seq}")


class _Anchors:
    """Signed checkpoint times bound the events around them: the events a checkpoint covers happened before it was
    signed, and those after it, after."""

    def __init__(self, valid: list[_Signed]) -> None:
        self.marks: list[tuple[int, dt.datetime, str]] = []
        for entry in valid:
            note = parse_note(entry.signed.note)
            try:
                self.marks.append((note.size, dt.datetime.fromisoformat(note.timestamp), entry.where))
            except ValueError:
                continue
        self.positions = {p for size, _t, _w in self.marks for p in (size - 1, size) if p >= 0}

    def check(self, times: dict[int, bytes], report: Report) -> None:
        tolerance = dt.timedelta(seconds=settings.LEDGER_TIME_TOLERANCE_SECONDS)
        seen = {int(p.ref.split(":")[1]) for p in report.problems if p.kind == "time"}  # one report per event
        for size, signed_at, where in self.marks:
            # The note's time has whole seconds: the covered events may fall within its second.
            for seq, after_signing in ((size - 1, True), (size, False)):
                if seq in seen or seq not in times:
                    continue
                try:
                    at = _parse(times[seq])
                except ValueError:
                    continue
                if at > signed_at + tolerance + dt.timedelta(seconds=1) if after_signing \
                        else at < signed_at - tolerance:
                    seen.add(seq)
                    report.add("time", f"#{seq}", _("Event %(seq)d is dated %(at)s, on the wrong side of %(where)s "
                                                    "signed at %(signed)s: its time was altered.")
                               % {"seq": seq, "at": _local(at), "where": where, "signed": _local(signed_at)},
                               f"event:{seq}")


def _parse(moment: bytes) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(moment.decode("ascii", "replace"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _span(gap: dt.timedelta) -> str:
    seconds = int(gap.total_seconds())
    if seconds < 120:
        return _("%(n)d seconds") % {"n": seconds}
    if seconds < 7200:
        return _("%(n)d minutes") % {"n": seconds // 60}
    return _("%(n)d hours") % {"n": seconds // 3600}


def _check_bindings(report: Report) -> None:
    for binding in bindings.registered():
        try:
            binding.check(bindings.events_for(binding), report.add)
        except Exception as error:  # noqa: BLE001 — a fault in one app's check is reported, never raised
            log.exception("binding %s failed", binding.name)
            report.add("error", binding.name, _("This check could not be completed (%(error)s).")
                       % {"error": f"{error.__class__.__name__}: {error}"}, f"binding:{binding.name}")


def check_witness_note(note: str, signature_hex: str) -> list[Problem]:
    """A checkpoint a witness kept: is it signed by a key of the chain, and does today's ledger still contain it?"""
    published = read_published()
    trust = trusted_keys(published)
    where = _("witnessed checkpoint")
    try:
        signature = bytes.fromhex(signature_hex)
        parsed = parse_note(note)
    except ValueError:
        return [Problem("checkpoint", where, _("The witness text is not a checkpoint."), "witness")]
    key: TrustedKey | None = next((k for k in trust.keys if signing.verify(k.algorithm, k.public,
                                                                            note.encode("utf-8"), signature)), None)
    if key is None:
        return [Problem("signature", where, _("The signature does not verify with any key of the ledger's chain."),
                        "witness")]
    size = tree.current_size()
    if parsed.size > size:
        return [Problem("rollback", where, _("The ledger now holds fewer events (%(size)d) than this checkpoint "
                                             "signed.") % {"size": size}, "witness")]
    try:
        root = tree.root_at(parsed.size)
    except (LookupError, ValueError):
        root = None
    if root != parsed.root:
        return [Problem("root", where, _("The events no longer produce the signed root."), "witness")]
    return []
