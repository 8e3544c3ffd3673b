"""Who reads the ledger's own report: the audit administrator alone (三员分立: the others do not audit themselves)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from authz.capabilities import declare
from authz.roles import Role


def register() -> None:
    declare("ledger.audit", _("read the event ledger and run its verification"), (Role.AUDIT_ADMIN,))
