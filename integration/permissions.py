"""Who manages connected systems: the system administrator of the agency (三员: accounts and configuration are
theirs; they see no evidence, and a system's token sees only what its operations open)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from authz import scopes
from authz.capabilities import can, declare
from authz.roles import Role

MANAGE = "integration.manage"


def _manages(user) -> bool:
    return can(user, MANAGE)


def register() -> None:
    declare(MANAGE, _("manage connected systems, their tokens and webhooks"), (Role.SYSTEM_ADMIN,))
    scopes.model("integration.systemaccount")
    scopes.require("integration.systemaccount", "view", _manages)
    scopes.allow("integration.systemaccount", "view", scopes.everything)
    # What a system keeps beside its tokens, and the account it acts as: seen by those who manage systems.
    scopes.model("integration.systemprincipal")
    scopes.require("integration.systemprincipal", "view", _manages)
    scopes.allow("integration.systemprincipal", "view", lambda user: Q(system_account__isnull=False))
    for label in ("integration.idempotencykey", "integration.externalid"):
        scopes.model(label, agency="account__agency")
        scopes.allow(label, "view", lambda user: Q(account__in=scopes.scoped("integration.systemaccount", user)))
    scopes.model("integration.tokencalls", agency="token__account__agency")
    scopes.allow("integration.tokencalls", "view",
                 lambda user: Q(token__in=scopes.scoped("integration.apitoken", user)))
    scopes.model("integration.apitoken", agency="account__agency")
    scopes.allow("integration.apitoken", "view",
                 lambda user: Q(account__in=scopes.scoped("integration.systemaccount", user)))
    scopes.model("integration.webhook", agency="account__agency")
    scopes.allow("integration.webhook", "view",
                 lambda user: Q(account__in=scopes.scoped("integration.systemaccount", user)))
    scopes.model("integration.delivery", agency="webhook__account__agency")
    scopes.allow("integration.delivery", "view",
                 lambda user: Q(webhook__in=scopes.scoped("integration.webhook", user)))
