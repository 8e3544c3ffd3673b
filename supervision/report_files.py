"""The supervision report as a workbook, with native charts, for those who carry figures into their own reports."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.reports import Report


def _table(book, sheet, top: int, headings: list[str], rows: list[list], bold) -> int:
    for column, heading in enumerate(headings):
        sheet.write(top, column, heading, bold)
    for number, row in enumerate(rows, start=top + 1):
        for column, value in enumerate(row):
            if value is None:
                sheet.write_blank(number, column, None)
            elif isinstance(value, (int, float)):
                sheet.write_number(number, column, value)
            else:
                sheet.write(number, column, str(value))  # text stays text (lawtrace.spreadsheets)
    return top + 1 + len(rows)


def _chart(book, sheet, name: str, title: str, first: int, last: int, column: int, place: str) -> None:
    if last < first:
        return
    chart = book.add_chart({"type": "bar"})
    chart.add_series({"name": title, "categories": [name, first, 0, last, 0],
                      "values": [name, first, column, last, column]})
    chart.set_title({"name": title})
    chart.set_legend({"none": True})
    sheet.insert_chart(place, chart)


def xlsx(report: Report) -> bytes:
    from lawtrace.spreadsheets import workbook

    buffer = io.BytesIO()
    book = workbook(buffer)
    bold = book.add_format({"bold": True, "text_wrap": True, "border": 1})

    summary = book.add_worksheet(_("Summary")[:31])
    summary.set_column(0, 0, 36)
    summary.write(0, 0, f"{report.agency.name} {_('Supervision report')} {report.period}", bold)
    rec, dec = report.recordings, report.decisions
    _table(book, summary, 2, [_("figure"), _("count")], [
        [_("records stored"), rec["total"]], [_("stored after the deadline"), rec["late"]],
        [_("compliance findings opened"), sum(f["opened"] for f in report.findings)],
        [_("review rounds opened"), len(report.rounds)], [_("annual reviews held"), report.annual_held],
        [_("records reviewed"), sum(r["reviewed"] for r in report.rounds)],
        [_("random draws made"), report.draws["count"]], [_("targets drawn"), report.draws["targets"]],
        [_("decisions drafted"), dec["drafted"]], [_("decisions needing legal review"), dec["review_required"]],
        [_("legal reviews passed"), dec["passed"]], [_("legal reviews not passed"), dec["failed"]],
        [_("misconduct cases opened"), sum(n for _label, n in report.misconduct)],
    ], bold)
    summary.write(17, 0, _("Generated %(at)s from the records of Lawtrace.") % {
        "at": timezone.localtime(report.made_at).strftime("%Y-%m-%d %H:%M")})

    sheet = book.add_worksheet(_("Findings")[:31])
    sheet.set_column(0, 0, 36)
    end = _table(book, sheet, 0, [_("rule"), _("opened"), _("still open")],
                 [[f["label"], f["opened"], f["still_open"]] for f in report.findings], bold)
    _chart(book, sheet, sheet.name, _("compliance findings opened"), 1, end - 1, 1, "E2")

    sheet = book.add_worksheet(_("Review checks")[:31])
    sheet.set_column(0, 0, 48)
    end = _table(book, sheet, 0, [_("review check"), _("average score (%)"), _("records reviewed"), _("shortfalls"),
                                  _("articles")],
                 [[c["label"], c["average"], c["reviewed"], c["shortfalls"], c["cite"]] for c in report.checks], bold)
    _chart(book, sheet, sheet.name, _("average score (%)"), 1, end - 1, 1, "G2")

    sheet = book.add_worksheet(_("Personal assessment")[:31])
    sheet.set_column(0, 8, 14)
    _table(book, sheet, 0, [_("officer"), _("staff number"), _("unit"), _("records reviewed"), _("average score (%)"),
                            _("records with shortfalls"), _("compliance findings"), _("misconduct cases decided"),
                            _("sanctions")],
           [[p.officer.full_name or p.officer.username, p.officer.staff_number,
             p.officer.unit.name if p.officer.unit else "", p.reviewed, p.average, p.short, p.findings,
             len(p.cases), p.sanctions] for p in report.people], bold)

    sheet = book.add_worksheet(_("Accountability")[:31])
    sheet.set_column(0, 0, 48)
    end = _table(book, sheet, 0, [_("misconduct"), _("cases opened")], [list(r) for r in report.misconduct], bold)
    _chart(book, sheet, sheet.name, _("misconduct cases opened"), 1, end - 1, 1, "D2")
    top = max(end, 1) + 16
    end = _table(book, sheet, top, [_("sanction"), _("times imposed")], [list(r) for r in report.sanctions], bold)
    _chart(book, sheet, sheet.name, _("sanctions imposed"), top + 1, end - 1, 1, f"D{top + 2}")
    book.close()
    return buffer.getvalue()
