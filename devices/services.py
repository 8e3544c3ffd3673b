from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from devices.models import Device
from ledger.events import SYSTEM, RequestContext, record_event
from org.models import Agency, Unit, User
from org.visibility import record_agency
from policy.registry import registry


def device_kinds(agency: Agency) -> dict[str, str]:
    """The device kinds the agency's current pack names, id → label."""
    return {kind.id: kind.label for kind in registry().in_force(agency.pack_code).devices.kinds}


def register_device(agency: Agency, *, kind: str, brand: str, model: str, serial: str, unit: Unit | None = None,
                    actor: User | None = None, context: RequestContext = SYSTEM) -> Device:
    if kind not in device_kinds(agency):
        raise ValidationError({"kind": _("This device kind is not listed in your agency's rules.")})
    device = Device(agency=agency, unit=unit, kind=kind, brand=brand, model=model, serial=serial)
    device.full_clean()
    with transaction.atomic():
        device.save()
        record_event("device.register", actor=actor, obj=device, context=context,
                     after={"kind": kind, "brand": brand, "model": model, "serial": serial, "unit": str(unit or "")})
    return device


def visible_devices(user: User) -> QuerySet[Device]:
    agency = record_agency(user)
    return Device.objects.filter(agency=agency) if agency else Device.objects.none()


def device_by_serial(agency: Agency, serial: str) -> Device | None:
    serial = serial.strip()
    return Device.objects.filter(agency=agency, serial=serial).first() if serial else None
