"""The one way to know which pack governs an agency: ``in_force`` at a moment, ``version_of`` for what a stored record
names. Everything else in the system asks here.

A version governs only through an approved activation (``policy.activation``), and what was approved is read from the
approval's event in the ledger (version, date, SHA-256); the text that governs is the one kept with the activation,
checked against that SHA-256 when it is read.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone
from django.utils.translation import gettext as _

from policy import citations
from policy.loader import load_text
from policy.schema import PolicyPack

_parsed: dict[str, PolicyPack] = {}
_lock = threading.Lock()
# Within one request the schedules read are remembered: a page (or a video's Range request) asks which pack governs
# an agency several times, and each answer was a read of the ledger. Only within a request, so that an approval on
# another node counts from the next request on; an approval in this one forgets them (``forget_schedules``).
_remembered: ContextVar[dict | None] = ContextVar("policy_schedules", default=None)


class NoPackInForce(LookupError):
    """The agency has no approved pack version (or not the one asked for)."""


class PackTampered(RuntimeError):
    """A kept pack text no longer matches the hash it was approved under."""


def _day(at: dt.date | dt.datetime | None) -> dt.date:
    if at is None:
        return timezone.localdate()
    if isinstance(at, dt.datetime):
        return timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
    return at


def parsed(sha256: str, text: str, name: str) -> PolicyPack:
    """A kept text as a pack, refusing one whose bytes no longer hash to what was approved."""
    from policy.registry import sha256_of

    pack = _parsed.get(sha256)
    if pack is not None:
        return pack
    if sha256_of(text) != sha256:
        raise PackTampered(_("The kept text of %(name)s does not match the hash it was approved under.")
                           % {"name": name})
    pack = load_text(text, name)
    citations.register(pack)
    with _lock:
        _parsed[sha256] = pack
    return pack


def schedule(agency) -> list[tuple[dt.date, int, str]]:
    """The agency's approved versions in the order they take effect: (in force from, version, sha256).

    Read from the approval events themselves, not from the activation rows: a row written or edited behind the
    application's back, without its event in the ledger, puts nothing into force (issue 19 §2)."""
    code = agency if isinstance(agency, str) else agency.code
    # An agency whose pack was switched before it started working follows only its present pack's versions.
    pack_code = None if isinstance(agency, str) else agency.pack_code
    memo = _remembered.get()
    if memo is None:
        return _read_schedule(code, pack_code)
    if (code, pack_code) not in memo:
        memo[(code, pack_code)] = _read_schedule(code, pack_code)
    return list(memo[(code, pack_code)])


@contextmanager
def remembered_schedules() -> Iterator[None]:
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def forget_schedules() -> None:
    """After an approval is recorded: this request reads the schedules afresh."""
    memo = _remembered.get()
    if memo is not None:
        memo.clear()


def _read_schedule(code: str, pack_code: str | None) -> list[tuple[dt.date, int, str]]:
    from ledger.models import Event

    approvals = (Event.objects.filter(agency_code=code, verb="pack.activate", result=Event.Result.DONE,
                                      object_type="policy.activation")
                 .order_by("seq").values_list("after", flat=True))
    entries = []
    for after in approvals:
        if not isinstance(after, dict) or (pack_code and after.get("pack", pack_code) != pack_code):
            continue
        try:
            entries.append((dt.date.fromisoformat(after["effective_from"]), int(after["version"]), after["sha256"]))
        except (KeyError, TypeError, ValueError):
            continue  # not an approval this code wrote: it proves nothing
    return sorted(entries, key=lambda entry: entry[0])


def _load(sha256: str) -> PolicyPack:
    from policy.models import PackVersion

    pack = _parsed.get(sha256)
    if pack is not None:
        return pack
    row = PackVersion.objects.filter(sha256=sha256).values_list("text", "code", "version").first()
    if row is None:
        # Approved in the ledger, yet no kept text hashes to it: the text was replaced or removed.
        raise PackTampered(_("No kept pack text has the hash %(sha)s that was approved.") % {"sha": sha256})
    text, code, version = row
    return parsed(sha256, text, f"{code} v{version}")


def in_force(agency, at: dt.date | dt.datetime | None = None) -> PolicyPack:
    """The pack version in force for the agency on the day of ``at`` (today by default).

    Before the first approved version's date, that first version applies: it holds the oldest rules the system
    knows for the agency."""
    entries = schedule(agency)
    if not entries:
        raise NoPackInForce(_("No policy pack version has been approved for this agency."))
    day = _day(at)
    chosen = entries[0]
    for entry in entries:
        if entry[0] <= day:
            chosen = entry
    return _load(chosen[2])


def version_of(agency, number: int) -> PolicyPack:
    """The version a stored record, case or activity names (it governed when they were made). ``agency`` is the agency
    or its code."""
    for _start, version, sha in schedule(agency):
        if version == number:
            return _load(sha)
    code = agency if isinstance(agency, str) else agency.code
    raise NoPackInForce(_("Version %(n)s of the policy pack was never approved for %(code)s.")
                        % {"n": number, "code": code})


def versions(agency) -> list[PolicyPack]:
    """Every version ever approved for the agency, oldest first (what the rules page offers to read)."""
    seen: dict[int, PolicyPack] = {}
    for _start, version, sha in schedule(agency):
        seen.setdefault(version, _load(sha))
    return [seen[v] for v in sorted(seen)]


class Versions:
    """Remembers the versions already read during one piece of work (a sweep over many records or activities)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], PolicyPack] = {}

    def get(self, agency_code: str, number: int) -> PolicyPack:
        key = (agency_code, number)
        if key not in self._known:
            self._known[key] = version_of(agency_code, number)
        return self._known[key]
