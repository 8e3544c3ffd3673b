"""Who sees and manages recording devices (000/2/2-7, 004/20-21): every staff member sees the agency's devices and
may check one or report a fault; the archivist and the head hand them out, take them back and send them to repair.

Where the pack names the units that manage devices (``devices.managed_by.units``, 005/6), a device keeper of such a
unit manages that unit's devices only and the head keeps oversight of all; a device keeper never has powers over
another unit's devices (issue 21, item 6).

The register of an agency being put into service is imported by its system administrator (``devices.imports``).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from authz import scopes
from authz.capabilities import can, declare
from authz.roles import STAFF, Role, is_staff, roles_of
from policy import current


def managing_units(agency) -> list[str]:
    """The units the pack names as managing the devices, or none."""
    pack = current.in_force(agency)
    managed = pack.devices.managed_by if pack.devices else None
    return list(managed.units) if managed is not None else []


def _managers(agency) -> list[str] | None:
    return [Role.HEAD, Role.DEVICE_KEEPER] if managing_units(agency) else None


def agency_wide(user) -> bool:
    """Manages every device of the agency: the head, and the archivist where no unit is named."""
    roles = roles_of(user)
    return Role.HEAD in roles or (Role.ARCHIVIST in roles and not managing_units(user.agency))


def keeps_unit(user) -> bool:
    """A device keeper of a unit that manages its devices (any unit where the pack names none)."""
    if Role.DEVICE_KEEPER not in roles_of(user) or user.unit_id is None:
        return False
    named = managing_units(user.agency)
    return not named or user.unit.name in named


def may_register(user) -> bool:
    """Registering a device: the agency-wide managers, or the keeper of a unit the pack names."""
    if not can(user, "device.register"):
        return False
    return agency_wide(user) or (keeps_unit(user) and bool(managing_units(user.agency)))


def _manages(user) -> Q | bool:
    if agency_wide(user):
        return True
    return Q(unit_id=user.unit_id) if keeps_unit(user) else False


def register() -> None:
    declare("device.view", _("see the agency's recording devices and their usage ledger"), STAFF)
    declare("device.manage", _("register, hand out, take back and repair devices"),
            (Role.ARCHIVIST, Role.HEAD, Role.DEVICE_KEEPER), by_pack=_managers, cite="000/2/4")
    declare("device.register", _("register recording devices"), (Role.ARCHIVIST, Role.HEAD), by_pack=_managers,
            cite="000/2/4")
    declare("device.import", _("import the register of recording devices"), (Role.SYSTEM_ADMIN,), cite="000/2/4")
    for label, agency in (("devices.device", "agency"), ("devices.handover", "device__agency"),
                          ("devices.preusecheck", "device__agency"), ("devices.faultreport", "device__agency")):
        scopes.model(label, agency=agency)
        scopes.allow(label, "view", is_staff)
    scopes.action("devices.device", "manage", extends="view")
    scopes.require("devices.device", "manage", lambda user: can(user, "device.manage"))
    scopes.allow("devices.device", "manage", _manages)
