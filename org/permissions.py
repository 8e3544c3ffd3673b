"""Who sees the agency's people and units, and who administers them.

Everyone of the agency sees its agency and colleagues (to name a handler, a holder, a reviewer); the administrators of
an agency hosting others see those agencies' too. The administrators' capabilities (三员分立, as 等保 level 3
expects): the system administrator keeps agencies, units, accounts and certificates; the security administrator
decides roles and resets second factors; the audit administrator reads the log (``ledger/permissions.py``). Which
agencies they do it in is ``org.administration``'s.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from authz import scopes
from authz.capabilities import declare
from authz.roles import ADMINS, Role, roles_of
from ledger import search
from org import administration
from org.models import Agency


def _audited(user) -> search.Readable:
    """The agencies whose events an auditor reads: those the auditor's agency administers (``org.administration``)."""
    agencies = [(a.code, a.name) for a in administration.administered_agencies(user)]
    unattributed = administration.sees_unattributed_events(user)
    return search.Readable(agencies, unattributed,
                           everything=unattributed and len(agencies) == Agency.objects.count())


def _hosted(user) -> QuerySet | None:
    """The agencies an administrator's agency hosts, whose accounts and units the administrator keeps as well
    (``org.administration``); nobody else reaches beyond their own agency."""
    return administration.hosted_agencies(user) if roles_of(user) & ADMINS else None


def _account_administrator(user) -> bool:
    return bool(roles_of(user) & {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN})


def register() -> None:
    declare("agency.manage", _("create agencies and keep their units"), (Role.SYSTEM_ADMIN,))
    declare("staff.view", _("see the accounts of the agencies one administers"),
            (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN))
    declare("staff.manage", _("create, change, lock out and unlock accounts, hand out passwords and keep enforcement "
                              "certificates"), (Role.SYSTEM_ADMIN,))
    declare("role.request", _("ask for a change of someone's roles"), (Role.SYSTEM_ADMIN,))
    declare("role.assign", _("decide on role changes and withdraw roles"), (Role.SECURITY_ADMIN,))
    declare("mfa.reset", _("reset someone's second login factor"), (Role.SECURITY_ADMIN,))
    search.set_reader_scope(_audited)
    for label, agency in (("org.agency", "pk"), ("org.user", "agency"), ("org.unit", "agency"),
                          ("org.rolegrant", "user__agency"), ("org.qualification", "user__agency")):
        scopes.model(label, agency=agency)
        scopes.action(label, "view", reach=_hosted)
        scopes.allow(label, "view", scopes.everything)
    # Role requests pass between the system and the security administrator (三员分立); nobody else reads them.
    scopes.model("org.rolerequest", agency="user__agency")
    scopes.action("org.rolerequest", "view", reach=_hosted)
    scopes.allow("org.rolerequest", "view", _account_administrator)
