"""Action functions for connected systems and their tokens; each writes its event in the change's transaction.

The system administrator of an agency creates a system, issues it tokens (operations and an expiry), rotates and
revokes them. A token is shown once; only its SHA-256 is kept, so a copy of the database lets nobody call the API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integration.models import ApiToken, SystemAccount, SystemPrincipal
from integration.operations import OPERATIONS, lent_roles
from ledger.events import SYSTEM, RequestContext, record_event
from org.models import Agency, User

TOKEN_PREFIX = "lt_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_account(agency: Agency, *, name: str, description: str = "", actor: User | None = None,
                   context: RequestContext = SYSTEM) -> SystemAccount:
    """A connected system of the agency, with the principal it acts as (no password, no log-in, no role)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the system a name.")})
    if SystemAccount.objects.filter(agency=agency, name=name).exists():
        raise ValidationError({"name": _("A connected system of this name already exists.")})
    with transaction.atomic():
        principal = User(username=f"system-{agency.code}-{secrets.token_hex(4)}", full_name=name, agency=agency,
                         is_active=False)
        principal.set_unusable_password()
        principal.save()
        account = SystemAccount.objects.create(agency=agency, name=name, description=description.strip(),
                                               principal=principal)
        record_event("integration.account_create", actor=actor, obj=account, context=context,
                     agency_code=agency.code, after={"name": name, "description": account.description})
    return account


def _check_token(operations: list[str], expires_at: dt.datetime) -> None:
    errors: dict[str, list[str]] = {}
    if not operations:
        errors["operations"] = [_("Choose at least one operation.")]
    elif unknown := [o for o in operations if o not in OPERATIONS]:
        errors["operations"] = [_("Unknown operations: %(names)s.") % {"names": "、".join(unknown)}]
    now = timezone.now()
    if expires_at <= now:
        errors["expires_at"] = [_("The expiry must be in the future.")]
    elif expires_at > now + dt.timedelta(days=settings.INTEGRATION_TOKEN_MAX_DAYS):
        errors["expires_at"] = [_("A token may be valid for at most %(days)d days.") % {
            "days": settings.INTEGRATION_TOKEN_MAX_DAYS}]
    if errors:
        raise ValidationError(errors)


def issue_token(account: SystemAccount, *, operations: list[str], expires_at: dt.datetime,
                actor: User | None = None, context: RequestContext = SYSTEM,
                replaces: ApiToken | None = None) -> tuple[ApiToken, str]:
    """A new token for the system; the returned secret is shown once and never stored."""
    operations = sorted(set(operations))
    _check_token(operations, expires_at)
    if not account.active:
        raise ValidationError(_("The connected system is disabled."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(account=account, prefix=secret[:10], token_hash=token_hash(secret),
                                        operations=operations, expires_at=expires_at, created_by=actor,
                                        replaces=replaces)
        record_event("integration.token_issue", actor=actor, obj=account, context=context,
                     agency_code=account.agency.code,
                     after={"token": token.prefix, "operations": operations, "expires_at": expires_at.isoformat(),
                            **({"replaces": replaces.prefix} if replaces else {})})
    return token, secret


def revoke_token(token: ApiToken, *, actor: User | None = None, reason: Any = "",
                 context: RequestContext = SYSTEM) -> ApiToken:
    """Revoke at once: the next call with the token is refused (tokens are looked up on every call, never cached)."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().select_related("account__agency").get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        record_event("integration.token_revoke", actor=actor, obj=locked.account, context=context,
                     agency_code=locked.account.agency.code, detail={"token": locked.prefix,
                                                               "reason": reason.strip() if isinstance(reason, str)
                                                               else reason})  # a lazy one is kept as its msgid
    return locked


def rotate_token(token: ApiToken, *, actor: User | None = None, overlap: dt.timedelta = dt.timedelta(0),
                 context: RequestContext = SYSTEM) -> tuple[ApiToken, str]:
    """A new token with the same operations and a fresh term; the old one stops at once, or after ``overlap`` so the
    system can switch without a failed call."""
    if token.state() != "active":
        raise ValidationError(_("Only an active token can be rotated."))
    term = min(token.expires_at - token.created_at, dt.timedelta(days=settings.INTEGRATION_TOKEN_MAX_DAYS))
    with transaction.atomic():
        new, secret = issue_token(token.account, operations=token.operations, expires_at=timezone.now() + term,
                                  actor=actor, context=context, replaces=token)
        if overlap:
            ApiToken.objects.filter(pk=token.pk).update(expires_at=min(token.expires_at, timezone.now() + overlap))
        else:
            revoke_token(token, actor=actor, reason=gettext_lazy("rotated"), context=context)
    return new, secret


def set_active(account: SystemAccount, active: bool, *, actor: User | None = None,
               context: RequestContext = SYSTEM) -> SystemAccount:
    with transaction.atomic():
        SystemAccount.objects.filter(pk=account.pk).update(active=active)
        record_event("integration.account_enable" if active else "integration.account_disable", actor=actor,
                     obj=account, context=context, agency_code=account.agency.code,
                     before={"active": account.active}, after={"active": active})
    account.active = active
    return account


def clearance_of(account: SystemAccount) -> dict:
    """The marks the system is cleared for (000/1/10), and the event that set them last: the security administrator
    sets them on the clearances page, as for a person (``org.services.set_clearances``)."""
    from ledger.events import events_for_object
    from policy.vocabulary import ConfidentialityMark

    principal = account.principal
    labels = dict(ConfidentialityMark.choices)
    return {"cleared_for": [labels.get(mark, mark) for mark in principal.clearances or ()],
            "cleared_by": events_for_object(principal).filter(verb="user.clearance", result="done").first()}


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token, its system, and the principal lent the token's roles for this call."""

    token: ApiToken
    account: SystemAccount
    principal: SystemPrincipal

    def may(self, operation: str) -> bool:
        return operation in self.token.operations


def find_token(secret: str) -> ApiToken | None:
    """The token a secret names, whatever its state (the caller tells a revoked token from an unknown one)."""
    if not secret:
        return None
    return (ApiToken.objects.select_related("account__agency").filter(token_hash=token_hash(secret)).first())


def caller_for(token: ApiToken) -> Caller:
    principal = SystemPrincipal.objects.select_related("agency").get(pk=token.account.principal_id)
    principal._role_cache = lent_roles(token.operations, principal.agency)  # held for this call only
    return Caller(token, token.account, principal)


def refusal_of(token: ApiToken | None, now: dt.datetime | None = None) -> str | None:
    """Why a token may not call at all (a stable code), or None."""
    if token is None:
        return "token_unknown"
    if token.revoked_at is not None:
        return "token_revoked"
    if token.expires_at <= (now or timezone.now()):
        return "token_expired"
    if not token.account.active:
        return "system_disabled"
    return None


def touch(token: ApiToken) -> None:
    """Note when the token was last used, at most once a minute (not a write per call)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
