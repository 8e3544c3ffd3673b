"""The audit administrator's search of the event log: filters by time, actor, action (by its Chinese name), object,
agency, result and client address, paged by sequence number so the millionth page costs what the first does.

Paging is keyset paging on ``seq`` (``seq < cursor ORDER BY seq DESC LIMIT n``): no OFFSET, no total count, so a
page is one index range scan however long the log. Which agencies' events a reader sees is said by the app that
knows agencies (``org/permissions.py`` registers it through ``set_reader_scope``); the ledger itself knows none.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ledger.models import Event

PAGE_SIZE = 50

@dataclass(frozen=True)
class Readable:
    """The agencies whose events a reader reads; ``unattributed``: also events of no agency; ``everything``: every
    agency of the installation, so no condition on the agency is needed at all."""

    agencies: list[tuple[str, str]]  # (code, name)
    unattributed: bool = False
    everything: bool = False

    @property
    def codes(self) -> list[str]:
        return [code for code, _name in self.agencies] + ([""] if self.unattributed else [])


ReaderScope = Callable[[Any], Readable]
_reader_scope: ReaderScope | None = None


def set_reader_scope(scope: ReaderScope) -> None:
    global _reader_scope
    _reader_scope = scope


def agencies_of(user: Any) -> Readable:
    if _reader_scope is not None:
        return _reader_scope(user)
    agency = getattr(user, "agency", None)
    return Readable([(agency.code, agency.name)] if agency is not None else [])


@dataclass
class Filters:
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    actor: str = ""
    action: str = ""
    object: str = ""
    object_type: str = ""
    object_id: str = ""
    agency: str = ""
    result: str = ""
    address: str = ""
    problems: list = field(default_factory=list)  # what could not be understood, in words

    def is_empty(self) -> bool:
        return not any((self.since, self.until, self.actor, self.action, self.object, self.object_type,
                        self.object_id, self.agency, self.result, self.address))


def _moment(text: str, problems: list, label) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return timezone.make_aware(dt.datetime.strptime(text, pattern))
        except ValueError:
            continue
    problems.append(gettext_lazy("%(field)s is not a date and time") % {"field": label})
    return None


def parse(params: Any) -> Filters:
    """Filters from a query string; what cannot be read is named in ``problems`` and left out, never guessed."""
    problems: list = []
    found = Filters(
        since=_moment(params.get("since", ""), problems, gettext_lazy("from")),
        until=_moment(params.get("until", ""), problems, gettext_lazy("until")),
        actor=params.get("actor", "").strip()[:150], action=params.get("action", "").strip()[:64],
        object=params.get("object", "").strip()[:255], object_type=params.get("object_type", "").strip()[:64],
        object_id=params.get("object_id", "").strip()[:64], agency=params.get("agency", "").strip()[:64],
        result=params.get("result", "").strip(), address=params.get("address", "").strip()[:45],
        problems=problems)
    if found.until is not None and len(params.get("until", "").strip()) == 10:
        found.until += dt.timedelta(days=1)  # a day given as the end means to the end of that day
    if found.result not in ("", *Event.Result.values):
        problems.append(gettext_lazy("unknown result"))
        found.result = ""
    if found.address and not _address_ok(found.address):
        problems.append(gettext_lazy("%(address)s is not an address or the start of one") % {
            "address": found.address})
        found.address = ""
    return found


def _address_ok(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return all(c in "0123456789abcdefABCDEF.:" for c in text)


def verbs_named(text: str) -> list[str]:
    """The actions whose Chinese name contains ``text`` (or whose code is ``text``)."""
    from ledger.display import action_names

    text = text.strip()
    return sorted(verb for verb, name in action_names().items() if text in name or text == verb)


# A probe that finds fewer rows than this through an index makes the index the way in (see ``matching``).
PROBE_ROWS = 5000
NARROW_WINDOW = dt.timedelta(days=31)


def _few(events: QuerySet[Event]) -> bool:
    return events.values("seq")[:PROBE_ROWS].count() < PROBE_ROWS


def matching(user: Any, filters: Filters) -> QuerySet[Event]:
    """The events the filters select among those ``user`` may read, unordered.

    How the database reaches them matters more than anything at a million events. A page is the newest matches, so
    walking the log backwards by ``seq`` (the table's own order, no sort) stops as soon as a page is full, which is
    quick for every filter that matches often. An index is worth taking only where it narrows the log to a few
    thousand rows, which are then sorted: a rare action (probed through the agency-and-action index) or a window of
    days (the time index). Conditions that must not lure the planner onto a broad index are written so that no
    index serves them (``LOWER(agency_code)``, ``COALESCE(occurred_at, occurred_at)``); the rows are the same.
    """
    scope = agencies_of(user)
    if filters.agency and filters.agency not in scope.codes:
        return Event.objects.none()
    codes = [filters.agency] if filters.agency else scope.codes
    events = Event.objects.all()
    verbs = verbs_named(filters.action) if filters.action else None
    if verbs is not None and _few(Event.objects.filter(agency_code__in=codes, verb__in=verbs)):
        events = events.filter(agency_code__in=codes, verb__in=verbs)
    else:
        events = events.alias(_agency=Lower("agency_code"), _verb=Lower("verb"))
        if filters.agency or not scope.everything:
            events = events.filter(_agency__in=codes)
        if verbs is not None:
            events = events.filter(_verb__in=verbs)
    narrow = (filters.since is not None and filters.until is not None
              and filters.until - filters.since <= NARROW_WINDOW)
    moment = "occurred_at" if narrow else "_at"
    if not narrow:
        events = events.alias(_at=Coalesce("occurred_at", "occurred_at"))
    if filters.since is not None:
        events = events.filter(**{f"{moment}__gte": filters.since})
    if filters.until is not None:
        events = events.filter(**{f"{moment}__lt": filters.until})
    if filters.result:
        events = events.filter(result=filters.result)
    if filters.actor:
        people = get_user_model().objects.filter(Q(username=filters.actor) | Q(full_name=filters.actor))
        events = events.filter(Q(actor_id__in=people.values("pk")) | Q(actor_label=filters.actor))
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.object:
        events = events.filter(object_label__contains=filters.object)
    if filters.address:
        try:
            events = events.filter(client_address=str(ipaddress.ip_address(filters.address)))
        except ValueError:
            events = events.filter(client_address__startswith=filters.address)
    return events


@dataclass
class Page:
    events: list[Event]
    older: int | None  # cursor of the next (older) page, if any
    newer: int | None  # cursor of the previous (newer) page, if any


def page(events: QuerySet[Event], *, after: int | None = None, before: int | None = None,
         size: int | None = None) -> Page:
    """One page, newest first: older than ``after``, or the page just newer than ``before``."""
    size = size or PAGE_SIZE
    events = events.select_related("actor")
    if before is not None:
        rows = list(events.filter(seq__gt=before).order_by("seq")[:size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return Page(rows, rows[-1].seq if rows else None, rows[0].seq if rows and more_newer else None)
    if after is not None:
        events = events.filter(seq__lt=after)
    rows = list(events.order_by("-seq")[:size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return Page(rows, rows[-1].seq if rows and more_older else None,
                rows[0].seq if rows and after is not None else None)


def cursor(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None
