"""The quarterly and annual supervision report: on screen, as PDF and as .xlsx, all from ``supervision.reports``."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from authz.routes import route
from lawtrace.pdf import pdf_response, render_pdf
from ledger.events import RequestContext, record_event
from supervision import reports
from supervision.charts import bar_chart
from supervision.report_files import xlsx


def _context(report: reports.Report) -> dict:
    return {
        "report": report,
        "findings_chart": bar_chart([(f["label"], f["opened"]) for f in report.findings],
                                    title=_("compliance findings opened")),
        "checks_chart": bar_chart([(c["label"], c["average"]) for c in report.checks if c["average"] is not None],
                                  maximum=100, suffix="%", title=_("average score (%)")),
        "misconduct_chart": bar_chart(report.misconduct, title=_("misconduct cases opened")),
    }


@route("report.read", verb="report.view")
def supervision_report(request: HttpRequest) -> HttpResponse:
    agency = request.user.agency
    try:
        period = reports.Period.parse(request.GET.get("year"), request.GET.get("quarter"))
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("supervision_report")
    report = reports.build(request.user, agency, period)
    output = request.GET.get("format")
    if output in ("pdf", "xlsx"):
        with transaction.atomic():
            record_event("report.export", actor=request.user, agency_code=agency.code,
                         context=RequestContext.from_request(request),
                         detail={"report": "supervision", "period": str(period), "format": output})
    name = f"{agency.name}{_('Supervision report')}{period.year}{f'Q{period.quarter}' if period.quarter else ''}"
    if output == "pdf":
        return pdf_response(render_pdf("supervision/report_print.html", _context(report)), f"{name}.pdf")
    if output == "xlsx":
        response = HttpResponse(xlsx(report), content_type="application/vnd.openxmlformats-officedocument."
                                                           "spreadsheetml.sheet")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}.xlsx"
        return response
    return render(request, "supervision/report.html", {**_context(report), "years": range(period.year - 4,
                                                                                          period.year + 2)})
