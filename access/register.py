"""The register (查阅登记簿, 000/1/3): every look and every copy, built from the ledger's events (design principle 3),
with the request each served — never a table kept by hand."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import AccessRequest
from ledger.queries import events_matching
from policy.vocabulary import AccessAction
from supervision.queries import round_titles

REGISTER_VERBS = ("record.view", "package.export")
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
    return events_matching(verbs=REGISTER_VERBS, agency_code=agency_code, result="done", since=since,
                           until=until).select_related("actor__unit")


def rows(events) -> list[RegisterRow]:
    """Rows for a page (or the whole period) of register events, in three queries whatever their number."""
    events = list(events)
    grant_ids = {e.detail.get("grant") or e.detail.get("request") for e in events} - {None}
    grants = {g.pk: g for g in AccessRequest.objects.filter(pk__in=grant_ids).prefetch_related("decisions__decided_by")}
    reviews = round_titles({e.detail["review"] for e in events if e.detail.get("review")})
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
            approver = "、".join(deciders) or _("registration only (%(cite)s)") % {"cite": grant.cites}
            if grant.requester_user_id is None:
                handler = str(grant.handled_by) if actor is None else handler
        else:
            requester = handler
            unit = str(actor.unit) if actor and actor.unit else ""
            credentials = ""
            if review := reviews.get(event.detail.get("review")):
                approver = _("sampling review: %(round)s") % {"round": review}
            else:
                approver = _("direct access as custodian or case officer")
        result.append(RegisterRow(event.seq, event.occurred_at, requester, unit, credentials or "—", items, action,
                                  approver, handler))
    return result


def xlsx(agency, register: list[RegisterRow], since, until) -> bytes:
    from lawtrace.spreadsheets import workbook

    buffer = io.BytesIO()
    book = workbook(buffer)
    sheet = book.add_worksheet(_("Access register")[:31])
    bold = book.add_format({"bold": True, "text_wrap": True, "border": 1})
    wrap = book.add_format({"text_wrap": True, "border": 1, "valign": "top"})
    sheet.merge_range(0, 0, 0, len(COLUMNS) - 1, f"{agency.name} {_('Access register')}", bold)
    sheet.write(1, 0, _("period"))
    sheet.write(1, 1, f"{since or '—'} ~ {until or '—'}")
    for column, heading in enumerate(headings()):
        sheet.write(2, column, heading, bold)
    for number, row in enumerate(register, start=3):
        for column, value in enumerate(row.cells()):
            sheet.write(number, column, value, wrap)  # text stays text (lawtrace.spreadsheets)
    for column, width in enumerate((17, 14, 20, 30, 40, 14, 18, 12)):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(3, 0)
    book.close()
    return buffer.getvalue()
