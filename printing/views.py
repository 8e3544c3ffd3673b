"""The progress page and the download of a printed document. Each kind has its pair of routes under its own page,
declared with that page's capability, so the download is checked exactly like the page it was printed from."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render

from authz.routes import route
from lawtrace.pages import history
from lawtrace.pdf import pdf_response
from ledger.events import RequestContext
from org.requests import SignedInRequest
from printing import documents, services
from printing.models import PrintJob

JOB = "printing.printjob"


def printed(request: SignedInRequest, kind: str, asked: dict, file_name: str, job_page: str) -> HttpResponse:
    """What a page's "print" answers: the PDF at once when short, else the job's progress page; above the far limit
    the page again, saying how to narrow what was asked (``services.print_document``)."""
    try:
        made = services.print_document(kind, asked, actor=request.user, context=RequestContext.from_request(request))
    except services.PrintRefused as refusal:
        messages.error(request, str(refusal))
        kept = request.GET.copy()
        kept.pop("format", None)
        return redirect(f"{request.path}?{kept.urlencode()}")
    if isinstance(made, bytes):
        return pdf_response(made, file_name)
    return redirect(job_page, made.pk)


def _job(request: HttpRequest, pk: int, kind: str, action: str = "view") -> PrintJob:
    return get_object_or_404(PrintJob.objects.restrict(request.user, action).filter(kind=kind)
                             .select_related("requested_by", "agency"), pk=pk)


def _page(request: HttpRequest, pk: int, kind: str, download: str) -> HttpResponse:
    job = services.notice_stalled(_job(request, pk, kind))
    source = documents.source(kind)
    return render(request, "printing/job.html", {
        "job": job, "label": source.label, "page": source.page, "download": download,
        "keep_days": settings.PRINTED_KEEP_DAYS, "events": history(request, job)})


def _download(request: HttpRequest, pk: int, kind: str, page: str) -> HttpResponseBase:
    job = _job(request, pk, kind, "download")
    try:
        handle = services.open_document(job, actor=request.user, context=RequestContext.from_request(request))
    except services.PrintRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(page, job.pk)
    name = f"{documents.source(kind).label}-{job.requested_at:%Y%m%d%H%M}.pdf"
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/pdf")


@route("access.register", on=JOB)
def register_job(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk, "access_register", "register_print_download")


@route("access.register", on=JOB, action="download", verb="print.download")
def register_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _download(request, pk, "access_register", "register_print_job")


@route("device.view", on=JOB)
def ledger_job(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk, "usage_ledger", "ledger_print_download")


@route("device.view", on=JOB, action="download", verb="print.download")
def ledger_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _download(request, pk, "usage_ledger", "ledger_print_job")
