"""Action functions for recording devices (000/2/2-7): registry, hand-over out and back, pre-use checks, faults.

Each writes its event in the change's own transaction; the usage ledger (台账) is read back from those events.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from authz.capabilities import can
from devices.models import Device, FaultReport, HandOver, PreUseCheck
from ledger.events import SYSTEM, RequestContext, record_event
from org.models import Agency, Unit, User
from policy.registry import registry


def device_kinds(agency: Agency) -> dict[str, str]:
    """The device kinds the agency's current pack names, id → label."""
    return {kind.id: kind.label for kind in registry().in_force(agency.pack_code).devices.kinds}


def check_items(agency: Agency) -> list[tuple[str, str, list[str]]]:
    """The pre-use check items of the agency's pack: (id, label, cites)."""
    return [(i.id, i.label, list(i.cite)) for i in registry().in_force(agency.pack_code).devices.pre_use_checks]


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
    return Device.objects.restrict(user)


def device_by_serial(agency: Agency, serial: str) -> Device | None:
    serial = serial.strip()
    return Device.objects.filter(agency=agency, serial=serial).first() if serial else None


def can_manage(user: User, device: Device) -> bool:
    return user.agency_id == device.agency_id and can(user, "device.manage")


def _locked(device: Device) -> Device:
    return Device.objects.select_for_update().select_related("agency").get(pk=device.pk)


def _require_manager(actor: User, device: Device) -> None:
    if not can_manage(actor, device):
        raise PermissionError(_("Only the device managers of the agency may do this."))


def _who(user: User | None) -> str:
    return f"{user} ({user.staff_number})" if user is not None and user.staff_number else str(user or "")


def record_check(device: Device, results: dict[str, bool], *, actor: User, note: str = "",
                 at: dt.datetime | None = None, context: RequestContext = SYSTEM) -> PreUseCheck:
    """Answer every item of the pack's pre-use checklist; the check passes when every item does."""
    items = {item_id for item_id, _label, _cites in check_items(device.agency)}
    if not items:
        raise ValidationError(_("Your agency's rules list no pre-use checks."))
    if set(results) != items:
        raise ValidationError(_("Answer every item of the pre-use checklist."))
    if actor.agency_id != device.agency_id:
        raise PermissionError(_("This device belongs to another agency."))
    passed = all(results.values())
    with transaction.atomic():
        check = PreUseCheck.objects.create(device=device, checked_by=actor, checked_at=at or timezone.now(),
                                           results=results, passed=passed, note=note.strip())
        record_event("device.check", actor=actor, obj=device, context=context,
                     after={"results": results, "passed": passed, "note": check.note,
                            "checked_at": check.checked_at.isoformat()})
    return check


def hand_out(device: Device, holder: User, *, actor: User, purpose: str, results: dict[str, bool] | None = None,
             at: dt.datetime | None = None, context: RequestContext = SYSTEM) -> HandOver:
    _require_manager(actor, device)
    if not purpose.strip():
        raise ValidationError({"purpose": _("Say what the device is taken out for.")})
    if holder.agency_id != device.agency_id:
        raise ValidationError({"holder": _("Devices may not be handed to anyone outside the agency.")})
    at = at or timezone.now()
    with transaction.atomic():
        locked = _locked(device)
        if locked.status != Device.Status.IN_SERVICE:
            raise ValidationError(_("This device is %(status)s and may not be used until it is repaired.")
                                  % {"status": locked.get_status_display()})
        if HandOver.objects.filter(device=locked, back_at__isnull=True).exists():
            raise ValidationError(_("This device is already out; take it back first."))
        if results is not None:
            record_check(locked, results, actor=actor, at=at, context=context)
        hand_over = HandOver.objects.create(device=locked, holder=holder, out_at=at, out_by=actor,
                                            purpose=purpose.strip())
        record_event("device.hand_out", actor=actor, obj=locked, context=context,
                     after={"hand_over": hand_over.pk, "holder": holder.pk, "holder_label": _who(holder),
                            "out_at": at.isoformat(), "purpose": hand_over.purpose})
    return hand_over


def take_back(device: Device, *, actor: User, note: str = "", at: dt.datetime | None = None,
              context: RequestContext = SYSTEM) -> HandOver:
    _require_manager(actor, device)
    at = at or timezone.now()
    with transaction.atomic():
        locked = _locked(device)
        hand_over = HandOver.objects.filter(device=locked, back_at__isnull=True).select_for_update().first()
        if hand_over is None:
            raise ValidationError(_("This device is not out."))
        if at < hand_over.out_at:
            raise ValidationError(_("The return cannot be before the hand-out."))
        hand_over.back_at, hand_over.back_by, hand_over.back_note = at, actor, note.strip()
        hand_over.save(update_fields=["back_at", "back_by", "back_note"])
        record_event("device.return", actor=actor, obj=locked, context=context,
                     after={"hand_over": hand_over.pk, "holder": hand_over.holder_id,
                            "holder_label": _who(hand_over.holder), "out_at": hand_over.out_at.isoformat(),
                            "back_at": at.isoformat(), "note": hand_over.back_note})
    return hand_over


def report_fault(device: Device, *, actor: User, description: str, context: RequestContext = SYSTEM) -> FaultReport:
    """Anyone of the agency who finds a fault reports it; the device is out of use at once (004/21)."""
    if actor.agency_id != device.agency_id:
        raise PermissionError(_("This device belongs to another agency."))
    if not description.strip():
        raise ValidationError({"description": _("Describe the fault.")})
    with transaction.atomic():
        locked = _locked(device)
        if locked.status == Device.Status.RETIRED:
            raise ValidationError(_("This device is retired."))
        fault = FaultReport.objects.create(device=locked, reported_by=actor, reported_at=timezone.now(),
                                           description=description.strip())
        before = locked.status
        locked.status = Device.Status.FAULTY
        locked.save(update_fields=["status"])
        record_event("device.fault", actor=actor, obj=locked, context=context, before={"status": before},
                     after={"status": locked.status, "fault": fault.pk, "description": fault.description})
    return fault


def send_for_repair(fault: FaultReport, *, actor: User, repairer: str, context: RequestContext = SYSTEM) -> FaultReport:
    _require_manager(actor, fault.device)
    if not repairer.strip():
        raise ValidationError({"repairer": _("Name the professional repair service; no repairs in-house.")})
    with transaction.atomic():
        locked = _locked(fault.device)
        fault = FaultReport.objects.select_for_update().get(pk=fault.pk)
        if fault.state != FaultReport.State.REPORTED:
            raise ValidationError(_("This fault is already being handled."))
        fault.state, fault.repairer = FaultReport.State.UNDER_REPAIR, repairer.strip()
        fault.save(update_fields=["state", "repairer"])
        locked.status = Device.Status.UNDER_REPAIR
        locked.save(update_fields=["status"])
        record_event("device.repair", actor=actor, obj=locked, context=context,
                     after={"status": locked.status, "fault": fault.pk, "repairer": fault.repairer})
    return fault


def close_fault(fault: FaultReport, *, actor: User, repaired: bool, outcome: str,
                context: RequestContext = SYSTEM) -> FaultReport:
    _require_manager(actor, fault.device)
    if not outcome.strip():
        raise ValidationError({"outcome": _("Describe the repair outcome.")})
    with transaction.atomic():
        locked = _locked(fault.device)
        fault = FaultReport.objects.select_for_update().get(pk=fault.pk)
        if fault.state in (FaultReport.State.REPAIRED, FaultReport.State.WRITTEN_OFF):
            raise ValidationError(_("This fault is already closed."))
        fault.state = FaultReport.State.REPAIRED if repaired else FaultReport.State.WRITTEN_OFF
        fault.outcome, fault.closed_at = outcome.strip(), timezone.now()
        fault.save(update_fields=["state", "outcome", "closed_at"])
        open_faults = FaultReport.objects.filter(device=locked).exclude(
            state__in=[FaultReport.State.REPAIRED, FaultReport.State.WRITTEN_OFF]).exists()
        locked.status = (Device.Status.RETIRED if not repaired
                         else Device.Status.FAULTY if open_faults else Device.Status.IN_SERVICE)
        locked.save(update_fields=["status"])
        record_event("device.repaired" if repaired else "device.retire", actor=actor, obj=locked, context=context,
                     after={"status": locked.status, "fault": fault.pk, "outcome": fault.outcome})
    return fault


# --- read by the compliance engine ---------------------------------------------------------------------------


def checks_between(device_ids: list[int], start: dt.datetime, end: dt.datetime) -> list[tuple[int, dt.datetime, bool]]:
    return list(PreUseCheck.objects.filter(device_id__in=device_ids, checked_at__gte=start, checked_at__lte=end)
                .values_list("device_id", "checked_at", "passed"))


def hand_overs_between(device_ids: list[int], start: dt.datetime, end: dt.datetime
                       ) -> tuple[set[int], list[tuple[int, int, dt.datetime, dt.datetime | None]]]:
    """The devices kept on the hand-over ledger (any hand-over ever) and their hand-overs overlapping a period."""
    tracked = set(HandOver.objects.filter(device_id__in=device_ids).values_list("device_id", flat=True).distinct())
    overlapping = HandOver.objects.filter(device_id__in=tracked, out_at__lte=end).exclude(back_at__lt=start)
    return tracked, list(overlapping.values_list("device_id", "holder_id", "out_at", "back_at"))
