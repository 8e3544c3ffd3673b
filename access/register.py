"""The register (查阅登记簿, 000/1/3): every look and every copy, built from the ledger's events (design principle 3),
with the request each served — never a table kept by hand."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import AccessRequest
from cases.queries import legal_review_titles
from ledger.queries import events_matching
from policy.citations import law
from policy.vocabulary import AccessAction
from supervision.queries import round_titles

REGISTER_VERBS = ("record.view", "package.export")
# Rows made and written per batch by an export: its memory is one batch, whatever the register's length.
EXPORT_BATCH = 2000
COLUMNS = ("date", "requester", "unit", "credentials", "items", "action", "approver", "handled_by")


@dataclass
class RegisterRow:
    seq: int
    at: dt.datetime
    requester: str
    unit: str
    credentials: str
    items: str
    action: str
    approver: str
    handled_by: str

    def cells(self) -> list[str]:
        return [timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M"), self.requester, self.unit, self.credentials,
                self.items, self.action, self.approver, self.handled_by]


def headings() -> list[str]:
    return [_("date"), _("requester"), _("requester's unit"), _("credentials seen"), _("items"), _("action"),
            _("approved by"), _("handled by")]


def register_events(agency_code: str, since: dt.datetime | None, until: dt.datetime | None):
    """The register's events in log order. Ordered by ``seq + 0`` rather than the bare key: ordered by the key with a
    LIMIT, PostgreSQL walks the whole ledger backwards along its primary key and discards every event of other
    agencies and verbs (issue 27: 1.34 million rows for a page of 25, worse as the ledger grows); ordered by an
    expression it starts from the ``(agency_code, verb, occurred_at)`` index and sorts only the register's rows."""
    events = events_matching(verbs=REGISTER_VERBS, agency_code=agency_code, result="done", since=since, until=until)
    return events.order_by(F("seq") + 0).select_related("actor__unit")


def searched(events, text: str):
    """The register's events whose handler, unit or item matches ``text`` (the page's search)."""
    if not text:
        return events
    return events.filter(Q(actor_label__icontains=text) | Q(object_label__icontains=text)
                         | Q(actor__full_name__icontains=text))


def period(since: dt.date | None, until: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The days from ``since`` to ``until`` (both included, local time) as the instants the ledger is searched by."""
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min)) if since else None
    end = timezone.make_aware(dt.datetime.combine(until, dt.time.min) + dt.timedelta(days=1)) if until else None
    return start, end


def printed(user, params: dict):
    """The register as a printed document (printing.documents): the period and search of ``params`` (ISO dates and
    text, as the page took them), up to the last entry there was when it was asked for or made — so the count on
    its first page is the number of rows it prints, even while new entries are being written."""
    from printing.documents import Document

    since = dt.date.fromisoformat(params["since"]) if params.get("since") else None
    until = dt.date.fromisoformat(params["until"]) if params.get("until") else None
    text = params.get("q", "")
    events = searched(register_events(user.agency.code, *period(since, until)), text)
    # max(seq + 0), not max(seq): PostgreSQL would answer max(seq) by walking the primary key from its end.
    last = events.aggregate(last=Max(F("seq") + 0))["last"]
    events = events.filter(seq__lte=last or 0)
    scope = Scope(since, until, text, events.count())
    return Document(template="access/register_print.html", title=f"{user.agency.name}查阅登记簿",
                    statement=scope.statement(), total=scope.total, batches=lambda size: batches(events, size),
                    context={"agency": user.agency, "headings": headings(), "printed_at": timezone.localtime()})


def rows(events) -> list[RegisterRow]:
    """Rows for a page (or the whole period) of register events, in three queries whatever their number."""
    events = list(events)
    grant_ids = {e.detail.get("grant") or e.detail.get("request") for e in events} - {None}
    grants = {g.pk: g for g in AccessRequest.objects.filter(pk__in=grant_ids).prefetch_related("decisions__decided_by")}
    reviews = round_titles({e.detail["review"] for e in events if e.detail.get("review")})
    legal = legal_review_titles({e.detail["legal_review"] for e in events if e.detail.get("legal_review")})
    action_labels = dict(AccessAction.choices)
    result = []
    for event in events:
        grant = grants.get(event.detail.get("grant") or event.detail.get("request"))
        actor = event.actor
        handler = str(actor) if actor else (event.actor_label or _("system"))
        if event.verb == "record.view":
            items, action = event.object_label, str(action_labels[AccessAction.VIEW])
        else:
            count = len(event.detail.get("records", []))
            items = _("%(n)d files, manifest %(sha)s…") % {"n": count, "sha": event.detail.get("manifest_sha256",
                                                                                               "")[:16]}
            action = _("copy out as an evidence package")
        if grant is not None:
            requester, unit = grant.requester_name, grant.requester_unit
            credentials = grant.credential_labels()
            if grant.credentials_verified:
                credentials += _("（verified）") if credentials else ""
            deciders = [str(d.decided_by) for d in grant.decisions.all() if d.approved]
            approver = "、".join(deciders) or _("registration only (%(cite)s)") % {"cite": law(grant.cites)}
            if grant.requester_user_id is None:
                handler = str(grant.handled_by) if actor is None else handler
        else:
            requester = handler
            unit = str(actor.unit) if actor and actor.unit else ""
            credentials = ""
            if review := reviews.get(event.detail.get("review")):
                approver = _("sampling review: %(round)s") % {"round": review}
            elif decision := legal.get(event.detail.get("legal_review")):
                approver = _("legal review of %(decision)s (duty of the legal reviewer)") % {"decision": decision}
            else:
                approver = _("direct access as custodian or case officer")
        result.append(RegisterRow(event.seq, event.occurred_at, requester, unit, credentials or "—", items, action,
                                  approver, handler))
    return result


def batches(events, size: int = EXPORT_BATCH) -> Iterator[list[RegisterRow]]:
    """Every row of ``events`` in log order, a batch at a time: seeking past the last sequence number read, so the
    thousandth batch costs what the first does (no growing offset) and only one batch is held in memory."""
    last = None
    while True:
        chunk = list((events if last is None else events.filter(seq__gt=last))[:size])
        if not chunk:
            return
        yield rows(chunk)
        last = chunk[-1].seq


@dataclass(frozen=True)
class Scope:
    """What a printed or exported register covers, stated on the document itself: the period asked (open ends say
    so), the search, and how many entries that is — all of them, since an export never leaves any out."""

    since: dt.date | None
    until: dt.date | None
    search: str
    total: int

    def period(self) -> str:
        start = self.since.isoformat() if self.since else _("the first entry")
        end = self.until.isoformat() if self.until else _("the latest entry")
        return f"{start} ~ {end}"

    def statement(self) -> str:
        text = _("Period: %(period)s; %(total)d entries, all of them, oldest first.") % {
            "period": self.period(), "total": self.total}
        if self.search:
            text += _(" Only entries matching “%(search)s”.") % {"search": self.search}
        return text


def too_long(scope: Scope, limit: int) -> str:
    """Why a register of ``scope`` is refused as one export, and how to narrow it; empty when it fits. (A printed
    one has its own, far higher limit: printing.services.)"""
    if scope.total <= limit:
        return ""
    return _("The register asked for has %(total)d entries, more than the %(limit)d one export may hold. Export a "
             "shorter period (choose from and to).") % {"total": scope.total, "limit": limit}


def xlsx(agency, register: Iterable[RegisterRow] | Iterable[list[RegisterRow]], scope: Scope) -> bytes:
    """The register as a spreadsheet, written a row at a time (constant memory): ``register`` is rows, or batches
    of rows from ``batches``."""
    from lawtrace.spreadsheets import workbook

    buffer = io.BytesIO()
    book = workbook(buffer, large=True)
    sheet = book.add_worksheet(_("Access register")[:31])
    bold = book.add_format({"bold": True, "text_wrap": True, "border": 1})
    wrap = book.add_format({"text_wrap": True, "border": 1, "valign": "top"})
    for column, width in enumerate((17, 14, 20, 30, 40, 14, 18, 12)):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(3, 0)
    sheet.write(0, 0, f"{agency.name} {_('Access register')}", bold)
    sheet.write(1, 0, scope.statement())
    for column, heading in enumerate(headings()):
        sheet.write(2, column, heading, bold)
    number = 3
    for item in register:
        for row in item if isinstance(item, list) else [item]:
            for column, value in enumerate(row.cells()):
                sheet.write(number, column, value, wrap)  # text stays text (lawtrace.spreadsheets)
            number += 1
    book.close()
    return buffer.getvalue()
