"""Importing a staff list on a page: upload, a preview of every row, then confirm; the one-time passwords of the new
accounts are shown on the confirmation's answer, once."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from authz.routes import route
from lawtrace.tables import TableError
from ledger.events import RequestContext
from org import administration, staff_import, uploads
from org.forms import ImportForm
from org.requests import SignedInRequest

KIND = "staff"


@route("staff.manage", methods=("GET", "POST"))
def staff_import_upload(request: SignedInRequest) -> HttpResponse:
    agencies = administration.administered_agencies(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        agency = form.cleaned_data["agency"]
        try:
            plan = staff_import.plan(agency, upload.name, data, issuer=form.cleaned_data["issuer"])
        except TableError as error:
            form.add_error("file", str(error))
        else:
            uploads.stage(request, KIND, upload.name, data, agency=agency.pk, issuer=form.cleaned_data["issuer"])
            return render(request, "org/staff_import_preview.html", {"plan": plan})
    return render(request, "org/staff_import.html", {"form": form, "columns": list(staff_import.COLUMNS)})


@route("staff.manage", methods=("POST",))
def staff_import_confirm(request: SignedInRequest) -> HttpResponse:
    kept = uploads.staged(request, KIND)
    agency = administration.administered_agencies(request.user).filter(
        pk=(kept.extra.get("agency") or 0) if kept else 0).first()
    if kept is None or agency is None:
        messages.error(request, _("The uploaded file is no longer waiting; upload it again."))
        return redirect("staff_import")
    try:
        plan = staff_import.plan(agency, kept.name, kept.data, issuer=kept.extra.get("issuer", ""))
    except TableError as error:
        messages.error(request, str(error))
        return redirect("staff_import")
    staff_import.apply(plan, actor=request.user, context=RequestContext.from_request(request))
    uploads.discard(request, KIND)
    return render(request, "org/staff_import_done.html", {
        "plan": plan, "handed": [row for row in plan.rows if row.password]})
