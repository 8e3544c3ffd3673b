"""The system administrator's configuration of evidence intake: collection stations and camera file-name patterns."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from authz.routes import route
from cases.forms import apply_service_errors
from evidence import services
from evidence.forms import NamePatternForm, StationForm
from evidence.models import FilenamePattern, Station
from ledger.events import RequestContext


@route("station.configure", verb="settings.view")
def intake_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    agency, context = user.agency, RequestContext.from_request(request)
    station_form = StationForm(user=user, prefix="station")
    pattern_form = NamePatternForm(prefix="pattern")
    new_token = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add_station":
            station_form = StationForm(request.POST, user=user, prefix="station")
            if station_form.is_valid():
                try:
                    station, new_token = services.create_station(agency, **station_form.cleaned_data, actor=user,
                                                                 context=context)
                except ValidationError as error:
                    apply_service_errors(station_form, error)
                    new_token = ""
        elif action == "disable_station":
            station = get_object_or_404(Station.objects.restrict(user), pk=request.POST.get("station"))
            services.disable_station(station, actor=user, context=context)
            messages.success(request, _("Station %(name)s disabled.") % {"name": station.name})
            return redirect("intake_settings")
        elif action == "add_pattern":
            pattern_form = NamePatternForm(request.POST, prefix="pattern")
            if pattern_form.is_valid():
                try:
                    services.add_name_pattern(**pattern_form.cleaned_data, actor=user, context=context)
                except ValidationError as error:
                    apply_service_errors(pattern_form, error)
                else:
                    messages.success(request, _("Pattern added."))
                    return redirect("intake_settings")
    return render(request, "evidence/intake_settings.html", {
        "stations": Station.objects.restrict(user).select_related("unit").order_by("name"),
        "patterns": FilenamePattern.objects.all(), "station_form": station_form, "pattern_form": pattern_form,
        "new_token": new_token,
    })
