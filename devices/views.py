from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from devices.models import Device
from devices.services import device_kinds, visible_devices
from lawtrace.pages import paginate


def device_list(request: HttpRequest) -> HttpResponse:
    devices = visible_devices(request.user).select_related("unit")
    if text := request.GET.get("q", "").strip():
        devices = devices.filter(Q(serial__icontains=text) | Q(brand__icontains=text) | Q(model__icontains=text))
    if status := request.GET.get("status"):
        devices = devices.filter(status=status)
    page, query = paginate(request, devices)
    kinds = device_kinds(request.user.agency) if request.user.agency else {}
    return render(request, "devices/device_list.html", {
        "page": page, "query": query, "statuses": Device.Status.choices, "kinds": kinds,
    })
