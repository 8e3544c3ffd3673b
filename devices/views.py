from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from authz.routes import route
from cases.forms import apply_service_errors
from devices import forms, services, usage_ledger
from devices.models import Device, FaultReport, HandOver
from lawtrace.pages import history, paginate
from ledger.events import RequestContext, record_denial
from org.models import Unit, User
from printing.services import recent as recent_prints
from printing.views import printed


@route("device.view", post="device.register", verb="device.register")
def device_list(request: HttpRequest) -> HttpResponse:
    agency = request.user.agency
    register = None
    if services.may_register(request.user):
        register = forms.RegisterForm(request.POST or None, kinds=services.device_kinds(agency),
                                      units=Unit.objects.restrict(request.user))
        if request.method == "POST" and register.is_valid():
            try:
                device = services.register_device(agency, **register.cleaned_data, actor=request.user,
                                                  context=RequestContext.from_request(request))
            except ValidationError as error:
                apply_service_errors(register, error)
            else:
                messages.success(request, _("Device registered."))
                return redirect("device_detail", device.pk)
    elif request.method == "POST":
        # Holding the capability is not enough for a keeper whose unit the pack does not name.
        record_denial("device.register", actor=request.user, context=RequestContext.from_request(request))
        raise PermissionDenied(_("Only the device managers of the agency may do this."))
    devices = services.visible_devices(request.user).select_related("unit")
    if text := request.GET.get("q", "").strip():
        devices = devices.filter(Q(serial__icontains=text) | Q(brand__icontains=text) | Q(model__icontains=text))
    if status := request.GET.get("status"):
        devices = devices.filter(status=status)
    page, query = paginate(request, devices)
    kinds = services.device_kinds(agency)
    return render(request, "devices/device_list.html", {
        "page": page, "query": query, "statuses": Device.Status.choices, "kinds": kinds, "register": register,
    })


def _staff(user):
    return User.objects.restrict(user).filter(is_active=True).order_by("username")


@route("device.view", on="devices.device")
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(services.visible_devices(request.user).select_related("agency", "unit"), pk=pk)
    items = services.check_items(device.agency)
    manager = services.can_manage(request.user, device)
    current = HandOver.objects.filter(device=device, back_at__isnull=True).select_related("holder").first()
    open_fault = device.faults.exclude(state__in=[FaultReport.State.REPAIRED, FaultReport.State.WRITTEN_OFF]).first()
    action = request.POST.get("action", "")
    data = request.POST if request.method == "POST" else None
    panel = {
        "hand_out": forms.HandOutForm(data if action == "hand_out" else None, staff=_staff(request.user), items=items),
        "take_back": forms.ReturnForm(data if action == "take_back" else None),
        "check": forms.CheckForm(data if action == "check" else None, items=items),
        "fault": forms.FaultForm(data if action == "fault" else None),
        "repair": forms.RepairForm(data if action == "repair" else None),
        "close_fault": forms.CloseFaultForm(data if action == "close_fault" else None),
    }
    if request.method == "POST":
        form = panel.get(action)
        if form is None:
            return redirect("device_detail", device.pk)
        if form.is_valid():
            context = RequestContext.from_request(request)
            try:
                _act(action, form, device, open_fault, items, request.user, context)
            except PermissionError as error:
                record_denial(f"device.{action}", actor=request.user, obj=device, context=context)
                raise PermissionDenied(str(error)) from error
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("device_detail", device.pk)
    return render(request, "devices/device_detail.html", {
        "device": device, "kinds": services.device_kinds(device.agency), "manager": manager, "current": current,
        "open_fault": open_fault, "panel": panel, "items": items, "action": action,
        "hand_overs": device.hand_overs.select_related("holder", "out_by", "back_by")[:20],
        "checks": device.checks.select_related("checked_by")[:20], "faults": device.faults.all()[:20],
        "events": history(request, device),
    })


def _act(action, form, device, open_fault, items, user, context) -> None:
    data = form.cleaned_data
    if action == "hand_out":
        services.hand_out(device, data["holder"], actor=user, purpose=data["purpose"],
                          results=forms.check_results(form, items) if items else None, context=context)
    elif action == "take_back":
        services.take_back(device, actor=user, note=data["note"], context=context)
    elif action == "check":
        services.record_check(device, forms.check_results(form, items), actor=user, note=data["note"],
                              context=context)
    elif action == "fault":
        services.report_fault(device, actor=user, description=data["description"], context=context)
    elif open_fault is None:
        raise ValidationError(_("There is no open fault on this device."))
    elif action == "repair":
        services.send_for_repair(open_fault, actor=user, repairer=data["repairer"], context=context)
    elif action == "close_fault":
        services.close_fault(open_fault, actor=user, repaired=data["repaired"], outcome=data["outcome"],
                             context=context)


@route("device.view")
def usage_ledger_view(request: HttpRequest) -> HttpResponse:
    devices = services.visible_devices(request.user)
    today = timezone.localdate()
    form = forms.LedgerFilterForm(request.GET or {"start": today.replace(day=1), "end": today}, devices=devices)
    ledger, start, end = [], None, None
    if form.is_valid():
        start, end = usage_ledger.span(form.cleaned_data["start"], form.cleaned_data["end"])
        device = form.cleaned_data["device"]
        fmt = request.GET.get("format")
        name = f"使用情况台账-{form.cleaned_data['start']:%Y%m%d}-{form.cleaned_data['end']:%Y%m%d}"
        if fmt == "pdf":
            # Printed at once when short, else by a job with a progress page; refused above the far limit with how
            # to narrow it (printing.services).
            params = {"start": form.cleaned_data["start"].isoformat(), "end": form.cleaned_data["end"].isoformat(),
                      "device": device.pk if device else None}
            return printed(request, "usage_ledger", params, f"{name}.pdf", "ledger_print_job")
        ledger = usage_ledger.rows(request.user, start, end, device.pk if device else None)
        if fmt == "xlsx":
            statement = usage_ledger.statement(form.cleaned_data["start"], form.cleaned_data["end"], device,
                                               len(ledger))
            response = HttpResponse(
                usage_ledger.xlsx(request.user.agency, ledger, start, end, statement=statement),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            from urllib.parse import quote

            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}.xlsx"
            return response
    return render(request, "devices/usage_ledger.html", {"form": form, "ledger": ledger,
                                                          "query": request.GET.urlencode(),
                                                          "printed": recent_prints(request.user, "usage_ledger")})
