"""Who sees the agency's people and units: everyone of the agency sees its colleagues (to name a handler, a holder,
a reviewer); what each may do to accounts is the administrators' business (三员分立, ``org.services``).

The administrators' capabilities (三员分立, as 等保 level 3 expects): the system administrator keeps agencies, units,
accounts, certificates and the device register; the security administrator decides roles and resets second
factors; the audit administrator reads the log (``ledger/permissions.py``). Which agencies they do it in is
``org.administration``'s.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from authz import scopes
from authz.capabilities import declare
from authz.roles import Role


def declare_capabilities() -> None:
    declare("agency.manage", _("create agencies and keep their units"), (Role.SYSTEM_ADMIN,))
    declare("staff.view", _("see the accounts of the agencies one administers"),
            (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN))
    declare("staff.manage", _("create, change, lock out and unlock accounts, hand out passwords and keep enforcement "
                              "certificates"), (Role.SYSTEM_ADMIN,))
    declare("role.request", _("ask for a change of someone's roles"), (Role.SYSTEM_ADMIN,))
    declare("role.assign", _("decide on role changes and withdraw roles"), (Role.SECURITY_ADMIN,))
    declare("mfa.reset", _("reset someone's second login factor"), (Role.SECURITY_ADMIN,))
    # The device register is filled when an agency is put into service, by whoever keeps its devices or accounts.
    declare("device.import", _("import the register of recording devices"), (Role.SYSTEM_ADMIN, Role.ARCHIVIST),
            cite="000/2/4")


def _audited(user):
    """The agencies whose events an auditor reads: those the auditor's agency administers (``org.administration``)."""
    from ledger.search import Readable
    from org import administration
    from org.models import Agency

    agencies = [(a.code, a.name) for a in administration.administered_agencies(user)]
    unattributed = administration.sees_unattributed_events(user)
    return Readable(agencies, unattributed, everything=unattributed and len(agencies) == Agency.objects.count())


def register() -> None:
    from ledger import search

    declare_capabilities()
    search.set_reader_scope(_audited)
    for label, agency in (("org.user", "agency"), ("org.unit", "agency"), ("org.rolegrant", "user__agency"),
                          ("org.qualification", "user__agency")):
        scopes.model(label, agency=agency)
        scopes.allow(label, "view", scopes.everything)
