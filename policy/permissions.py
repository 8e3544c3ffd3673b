"""Everyone of an agency, administrators included, reads the agency's rules. Putting a pack version into force
(``policy.activation``): the security administrator puts a version forward (the rules decide who sees what; one
administrator, 三员分立), the head approves it; the administrators, the head and the audit administrator read the
versions and proposals."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from authz import scopes
from authz.capabilities import can, declare
from authz.roles import EVERYONE, Role


def register() -> None:
    declare("rules.read", _("read the agency's rules"), EVERYONE)
    declare("pack.read", _("see the agency's policy pack versions and proposals"),
            (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.HEAD, Role.AUDIT_ADMIN))
    declare("pack.propose", _("put policy pack versions forward"), (Role.SECURITY_ADMIN,))
    declare("pack.decide", _("approve or reject policy pack versions"), (Role.HEAD,))
    scopes.model("policy.activation")
    scopes.require("policy.activation", "view", lambda user: can(user, "pack.read"))
    scopes.allow("policy.activation", "view", scopes.everything)
