"""Who sees and manages recording devices (000/2/2-7, 004/20-21): every staff member sees the agency's devices and
may check one or report a fault; the archivist and the head hand them out, take them back and send them to repair."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from authz import scopes
from authz.capabilities import declare
from authz.roles import STAFF, Role, is_staff


def register() -> None:
    declare("device.view", _("see the agency's recording devices and their usage ledger"), STAFF)
    declare("device.manage", _("register, hand out, take back and repair devices"), (Role.ARCHIVIST, Role.HEAD),
            cite="000/2/4")
    for label, agency in (("devices.device", "agency"), ("devices.handover", "device__agency"),
                          ("devices.preusecheck", "device__agency"), ("devices.faultreport", "device__agency")):
        scopes.model(label, agency=agency)
        scopes.allow(label, "view", is_staff)
