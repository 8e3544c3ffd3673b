"""The selected events as a spreadsheet (.xlsx) or CSV, in Chinese, for the audit administrator's report.

The export is itself an event (``events.export``, with the filters, the format and the number of rows), written
before the file is handed over. Both formats are written through ``lawtrace.spreadsheets``, so a cell whose text a
spreadsheet would run as a formula (CSV injection) stays text: nobody's name or an object's label can run anything on
the auditor's computer.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lawtrace import spreadsheets
from ledger.display import changes, object_type_label, verb_label
from ledger.events import RequestContext, record_event
from ledger.models import Event

BATCH = 2000


def headers() -> list[str]:
    return [_("sequence number"), _("time"), _("agency"), _("actor"), _("action"), _("result"), _("object type"),
            _("object"), _("client address"), _("request id"), _("changes")]


def rows(events: Iterable[Event], agency_names: dict[str, str]) -> Iterator[list[str]]:
    for event in events:
        actor = event.actor_label
        name = event.actor.get_full_name() if event.actor is not None else ""
        if name and name != event.actor_label:
            actor = f"{name}（{event.actor_label}）"
        details = "；".join(f"{c.label}：{c.before + ' → ' if c.before else ''}{c.after}" for c in changes(event))
        yield [str(event.seq), f"{timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M:%S}",
               agency_names.get(event.agency_code, event.agency_code), actor, verb_label(event),
               event.get_result_display(), object_type_label(event.object_type), event.object_label,
               event.client_address or "", event.request_id, details]


def _batches(events, limit: int) -> Iterator[Event]:
    """Newest first, read in batches by sequence number so memory stays flat however many are exported."""
    after, left = None, limit
    while left > 0:
        chunk = events.select_related("actor").order_by("-seq")
        if after is not None:
            chunk = chunk.filter(seq__lt=after)
        batch = list(chunk[:min(BATCH, left)])
        if not batch:
            return
        yield from batch
        after, left = batch[-1].seq, left - len(batch)


def export(events, *, fmt: str, filters: dict, agency_names: dict[str, str], actor: Any,
           context: RequestContext) -> tuple[Any, int, bool]:
    """Write the selection to a temporary file; returns the file (at its start), the rows written and whether the
    selection was cut at the export limit. The export event is recorded before the file is returned."""
    limit = settings.LEDGER_EXPORT_ROWS
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (handed to the response, which closes it)
    count = _xlsx(handle, events, agency_names, limit) if fmt == "xlsx" else _csv(handle, events, agency_names, limit)
    cut = count >= limit and events.filter(seq__lt=_last_seq(events, limit)).exists()
    with transaction.atomic():
        record_event("events.export", actor=actor, context=context,
                     detail={"format": fmt, "rows": count, "cut_at_limit": cut, "filters": filters})
    handle.seek(0)
    return handle, count, cut


def _last_seq(events, limit: int) -> int:
    last = events.order_by("-seq").values_list("seq", flat=True)[limit - 1:limit]
    return last[0] if last else 0


def _csv(handle, events, agency_names: dict[str, str], limit: int) -> int:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    writer = spreadsheets.csv_writer(text)
    writer.writerow(headers())
    count = 0
    for row in rows(_batches(events, limit), agency_names):
        writer.writerow(row)
        count += 1
    text.flush()
    text.detach()
    return count


def _xlsx(handle, events, agency_names: dict[str, str], limit: int) -> int:
    book = spreadsheets.workbook(handle, large=True)
    sheet = book.add_worksheet(_("events"))
    bold = book.add_format({"bold": True})
    for column, (title, width) in enumerate(zip(headers(), (10, 20, 18, 18, 22, 8, 14, 36, 16, 20, 60),
                                                strict=True)):
        sheet.set_column(column, column, width)
        sheet.write(0, column, title, bold)
    count = 0
    for count, row in enumerate(rows(_batches(events, limit), agency_names), start=1):
        for column, cell in enumerate(row):
            sheet.write(count, column, cell)
    sheet.freeze_panes(1, 0)
    book.close()
    return count
