"""Importing the device register on a page: upload, a preview of every row, then confirm (000/2/2-4)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from authz.routes import route
from devices import imports
from lawtrace.tables import TableError
from ledger.events import RequestContext
from org import uploads
from org.models import Agency
from org.requests import SignedInRequest

KIND = "devices"


class DeviceImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("device register (.xlsx or .csv)"))


def _agency(request: SignedInRequest) -> Agency:
    if request.user.agency is None:  # the capability is held only within an agency; kept for the type's sake
        raise Http404
    return request.user.agency


@route("device.import", methods=("GET", "POST"))
def device_import_upload(request: SignedInRequest) -> HttpResponse:
    form = DeviceImportForm(request.POST or None, request.FILES or None)
    agency = _agency(request)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            plan = imports.plan(agency, upload.name, data)
        except TableError as error:
            form.add_error("file", str(error))
        else:
            uploads.stage(request, KIND, upload.name, data)
            return render(request, "devices/import_preview.html", {"plan": plan})
    return render(request, "devices/import.html", {"form": form, "columns": list(imports.COLUMNS),
                                                   "agency": agency})


@route("device.import", methods=("POST",))
def device_import_confirm(request: SignedInRequest) -> HttpResponse:
    kept = uploads.staged(request, KIND)
    if kept is None:
        messages.error(request, _("The uploaded file is no longer waiting; upload it again."))
        return redirect("device_import")
    try:
        plan = imports.plan(_agency(request), kept.name, kept.data)
    except TableError as error:
        messages.error(request, str(error))
        return redirect("device_import")
    imports.apply(plan, actor=request.user, context=RequestContext.from_request(request))
    uploads.discard(request, KIND)
    return render(request, "devices/import_done.html", {"plan": plan})
