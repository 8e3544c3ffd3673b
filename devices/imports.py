"""Importing an agency's register of recording devices (.xlsx or .csv): 序列号, 品牌, 型号, 单位, 保管人 (and 设备类型
where the file has it), when the agency is put into service (000/2/2-4).

Like the staff import: ``plan`` reports row by row what would be registered, changed, left as it is or refused and
why, writing nothing; ``apply`` does each row whole or not at all; a device is known again by its serial number, so
the same file run twice changes nothing. The keeper is named by staff number (工号/警号) or by a name only one
member of the agency has.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy, gettext_noop

from authz.capabilities import can
from authz.denied import Denied
from devices.models import Device
from devices.services import device_kinds, register_device
from lawtrace.tables import CHANGE, CREATE, REFUSE, UNCHANGED, ImportPlan, read_table
from ledger.events import SYSTEM, RequestContext, changed, record_denial, record_event, snapshot
from ledger.wording import Wording
from org.models import Agency, Unit, User

COLUMNS = {"序列号": "serial", "品牌": "brand", "型号": "model", "单位": "unit", "保管人": "keeper",
           "设备类型": "kind"}
REQUIRED = ["序列号", "品牌", "型号", "单位", "保管人"]
ALIASES = {"设备编号": "序列号", "设备序列号": "序列号", "编号": "序列号", "保管人员": "保管人", "部门": "单位",
           "类型": "设备类型", "设备种类": "设备类型"}
FIELDS = ["kind", "brand", "model", "unit", "keeper"]
OUTCOME_LABELS = {CREATE: gettext_lazy("registered"), CHANGE: gettext_lazy("changed"),
                  UNCHANGED: gettext_lazy("unchanged"), REFUSE: gettext_lazy("refused")}


@dataclass
class DeviceRow:
    line: int
    serial: str
    outcome: str = CREATE
    values: dict = field(default_factory=dict)  # kind, brand, model, unit, keeper as the device will have them
    reasons: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    existing: Device | None = None
    username: str = ""  # the report's second column: the keeper's account

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])

    @property
    def label(self) -> str:
        return " ".join(str(v) for v in (self.values.get("brand", ""), self.values.get("model", ""), self.serial) if v)


class DevicePlan(ImportPlan):
    outcome_labels = OUTCOME_LABELS
    rows: list[DeviceRow]


def plan(agency: Agency, file_name: str, data: bytes) -> DevicePlan:
    table = read_table(file_name, data, COLUMNS, required=REQUIRED, aliases=ALIASES)
    kinds = device_kinds(agency)
    by_label = {str(label): kind for kind, label in kinds.items()} | {kind: kind for kind in kinds}
    default_kind = "body_camera" if "body_camera" in kinds else next(iter(kinds))
    units = {u.name: u for u in Unit.objects.filter(agency=agency)}
    staff = list(User.objects.filter(agency=agency, is_active=True))
    by_number = {u.staff_number: u for u in staff if u.staff_number}
    by_name: dict[str, list[User]] = {}
    for person in staff:
        by_name.setdefault(person.full_name, []).append(person)
    existing = {d.serial: d for d in Device.objects.filter(agency=agency).select_related("unit", "keeper")}
    rows = []
    for line, values in table.rows:
        row = DeviceRow(line, str(values.get("serial", "")))
        if not row.serial:
            row.reasons.append(gettext_lazy("no serial number"))
        for key, label in (("brand", gettext_noop("brand")), ("model", gettext_noop("model"))):
            row.values[key] = str(values.get(key, ""))[:64]
            if not row.values[key]:
                row.reasons.append(Wording(gettext_noop("no %(what)s"), what=label))
        kind_text = str(values.get("kind", ""))
        row.values["kind"] = by_label.get(kind_text, "") if kind_text else default_kind
        if not row.values["kind"]:
            row.reasons.append(Wording(gettext_noop("device kind %(kind)s is not one your agency's rules list "
                                                    "(%(known)s)"), kind=kind_text,
                                       known="、".join(str(label) for label in kinds.values())))
        unit_name = str(values.get("unit", "")).rsplit("/", 1)[-1]
        row.values["unit"] = units.get(unit_name)
        if row.values["unit"] is None:
            row.reasons.append(Wording(gettext_noop("unit %(unit)s is not one of the agency's units (%(known)s)"),
                                       unit=unit_name or "—", known="、".join(sorted(units)) or "—"))
        keeper_text = str(values.get("keeper", ""))
        keeper = by_number.get(keeper_text)
        if keeper is None and len(by_name.get(keeper_text, [])) == 1:
            keeper = by_name[keeper_text][0]
        if keeper is None:
            problem = (gettext_noop("keeper %(who)s: several staff have this name; give the staff number")
                       if len(by_name.get(keeper_text, [])) > 1
                       else gettext_noop("keeper %(who)s is no active staff member of the agency"))
            row.reasons.append(Wording(problem, who=keeper_text or "—"))
        row.values["keeper"] = keeper
        row.username = keeper.username if keeper else ""
        rows.append(row)
    seen: dict[str, list[int]] = {}
    for row in rows:
        seen.setdefault(row.serial, []).append(row.line)
    for row in rows:
        if row.serial and len(seen[row.serial]) > 1:
            row.reasons.append(Wording(gettext_noop("serial number %(value)s appears on lines %(lines)s"),
                                       value=row.serial, lines="、".join(map(str, seen[row.serial]))))
        if row.reasons:
            row.outcome = REFUSE
            continue
        row.existing = existing.get(row.serial)
        if row.existing is None:
            continue
        row.changes = [Wording(gettext_noop("%(field)s %(old)s → %(new)s"),
                               field=str(getattr(Device._meta.get_field(name), "verbose_name", name)),
                               old=_shown(name, getattr(row.existing, name), kinds),
                               new=_shown(name, row.values[name], kinds))
                       for name in FIELDS if getattr(row.existing, name) != row.values[name]]
        if row.existing.status == Device.Status.RETIRED:
            row.notes.append(gettext_lazy("the device is retired; the import does not bring it back into service"))
        row.outcome = CHANGE if row.changes else UNCHANGED
    return DevicePlan(agency, file_name, hashlib.sha256(data).hexdigest(), rows, table.missing_optional,
                      table.ignored)


def _shown(name: str, value, kinds: dict) -> str:
    if name == "kind":
        return str(kinds.get(value, value))
    return str(value) if value else "—"


def update_device(device: Device, data: dict, *, actor: User | None, context: RequestContext = SYSTEM) -> Device:
    """Correct a registered device's kind, brand, model, unit or keeper; only what changed goes into the event."""
    if data.get("kind", device.kind) not in device_kinds(device.agency):
        raise ValidationError({"kind": gettext_lazy("This device kind is not listed in your agency's rules.")})
    for name in ("unit", "keeper"):
        other = data.get(name)
        if other is not None and other.agency_id != device.agency_id:
            raise ValidationError({name: gettext_lazy("Units and keepers must be of the device's agency.")})
    with transaction.atomic():
        locked = Device.objects.select_for_update().get(pk=device.pk)
        before = snapshot(locked, FIELDS)
        for name in FIELDS:
            if name in data:
                setattr(locked, name, data[name])
        locked.full_clean()
        old, new = changed(before, snapshot(locked, FIELDS))
        if new:
            locked.save(update_fields=list(new))
            record_event("device.update", actor=actor, obj=locked, context=context, before=old, after=new)
    return locked


def apply(device_plan: DevicePlan, *, actor: User | None, actor_label: str = "",
          context: RequestContext = SYSTEM) -> DevicePlan:
    if actor is not None and not (can(actor, "device.import") and actor.agency_id == device_plan.agency.pk):
        reason = gettext_lazy("Only the system administrator of the agency imports its devices.")
        record_denial("device.import", actor=actor, agency_code=device_plan.agency.code, context=context,
                      detail={"reason": reason, "file": device_plan.file_name})
        raise Denied("device.import", reason, capability="device.import")
    for row in device_plan.rows:
        if row.outcome not in (CREATE, CHANGE):
            continue
        try:
            with transaction.atomic():
                if row.outcome == CREATE:
                    register_device(device_plan.agency, serial=row.serial, actor=actor, context=context,
                                    **row.values)
                elif row.existing is not None:
                    update_device(row.existing, row.values, actor=actor, context=context)
        except ValidationError as error:
            row.outcome = REFUSE
            row.reasons.extend(error.messages)
    with transaction.atomic():
        record_event("device.import", actor=actor, actor_label=actor_label, agency_code=device_plan.agency.code,
                     context=context, detail={"file": device_plan.file_name, "sha256": device_plan.sha256,
                                              **device_plan.summary,
                                              "refused": [[row.line, row.reasons] for row in device_plan.rows
                                                          if row.outcome == REFUSE]})
    return device_plan
