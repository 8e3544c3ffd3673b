"""The system administrator's pages for agencies and their units."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from authz.routes import route
from ledger.events import RequestContext
from org import administration, structure
from org.forms import AgencyForm, UnitForm, show_errors
from org.models import Agency, Unit
from org.requests import SignedInRequest
from policy import current


def _agency(request: SignedInRequest, pk: int) -> Agency:
    found = administration.administered_agencies(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@route("agency.manage", methods=("GET", "POST"))
def agency_list(request: SignedInRequest) -> HttpResponse:
    form = AgencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agency = structure.add_agency(**form.cleaned_data, actor=request.user,
                                          context=RequestContext.from_request(request))
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Agency %(name)s added; add its units next.") % {"name": agency.name})
            return redirect("agency_detail", agency.pk)
    agencies = administration.administered_agencies(request.user).select_related("hosted_by")
    rows = [(a, current.in_force(a)) for a in agencies]
    return render(request, "org/agency_list.html", {"rows": rows, "form": form})


@route("agency.manage", methods=("GET", "POST"), on="org.agency")
def agency_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    agency = _agency(request, pk)
    form = AgencyForm(request.POST or None, instance=Agency.objects.get(pk=agency.pk), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            structure.update_agency(agency, form.cleaned_data, actor=request.user,
                                    context=RequestContext.from_request(request))
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("agency_detail", agency.pk)
    pack = current.in_force(agency)
    return render(request, "org/agency_detail.html", {
        "agency": agency, "form": form, "pack": pack, "tree": structure.tree(agency),
        "unit_form": UnitForm(agency=agency, prefix="unit"), "in_use": structure.in_use(agency),
        "staff_count": agency.staff.count(),
    })


@route("agency.manage", methods=("POST",), on="org.agency")
def unit_create(request: SignedInRequest, pk: int) -> HttpResponse:
    agency = _agency(request, pk)
    form = UnitForm(request.POST, agency=agency, prefix="unit")
    if form.is_valid():
        try:
            unit = structure.add_unit(agency, **form.cleaned_data, actor=request.user,
                                      context=RequestContext.from_request(request))
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("Unit %(name)s added.") % {"name": unit.name})
    else:
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("agency_detail", agency.pk)


@route("agency.manage", methods=("GET", "POST"), on="org.unit")
def unit_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    unit = Unit.objects.filter(pk=pk, agency__in=administration.administered_agencies(request.user)) \
        .select_related("agency").first()
    if unit is None:
        raise Http404
    form = UnitForm(request.POST or None, instance=Unit.objects.get(pk=unit.pk), agency=unit.agency)
    if request.method == "POST" and form.is_valid():
        try:
            structure.update_unit(unit, form.cleaned_data, actor=request.user,
                                  context=RequestContext.from_request(request))
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("agency_detail", unit.agency_id)
    return render(request, "org/unit_form.html", {"unit": unit, "form": form})
