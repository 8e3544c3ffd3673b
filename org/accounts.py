"""The life of an account after it is made: changes, deactivation, passwords handed out and changed, lock-outs
lifted, sessions ended. Each is the system administrator's (三员分立) in the agencies they administer, and an event.

A password the system administrator hands out (new account, reset) is shown once and never stored in the clear; the
account must change it at its next login (``org.gate``). Ending sessions works through the account's session
generation, which is part of every session's authentication hash (``User._get_session_auth_hash``).
"""

from __future__ import annotations

import secrets
import string

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy

from authz.capabilities import can
from authz.denied import Denied
from ledger.events import SYSTEM, RequestContext, changed, record_denial, record_event, snapshot
from org import administration
from org.models import Unit, User

STAFF_FIELDS = ["full_name", "unit", "staff_number", "phone"]
# Letters and digits a person copies from paper without mistaking one for another (no 0/O, 1/l/I).
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
PASSWORD_LENGTH = 12


def generate_password(user: User) -> str:
    """A one-time password for ``user`` (saved or about to be) that meets every password rule of the installation.
    A random draw is checked against them all, not just letters-and-digits: about one draw in ten thousand is "too
    similar" to the account name, and refusing that account would fail a whole import row."""
    from django.contrib.auth.password_validation import validate_password

    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(PASSWORD_LENGTH))
        try:
            validate_password(candidate, user)
        except ValidationError:
            continue
        return candidate


def username_for(agency, staff_number: str) -> str:
    """An account name from the agency's prefix and the staff number, so that names never clash across agencies."""
    prefix = agency.account_prefix or f"{agency.code}-"
    return f"{prefix}{staff_number.strip()}".lower()


def authorise(actor: User | None, capability: str, user: User, verb: str, context: RequestContext) -> None:
    """Refuse, on record, unless ``actor`` holds the capability in an agency that administers ``user``'s; ``actor``
    None is the installation's command line, run by the operator of the server."""
    if actor is None:
        return
    if not can(actor, capability) or not administration.administers(actor, user.agency_id):
        reason = gettext_lazy("Only the system administrator of the agency manages its accounts.")
        record_denial(verb, actor=actor, obj=user, context=context, detail={"reason": reason})
        raise Denied(verb, reason, obj=user, capability=capability)


def _not_oneself(actor: User | None, user: User, verb: str, context: RequestContext, reason) -> None:
    if actor is not None and actor.pk == user.pk:
        record_denial(verb, actor=actor, obj=user, context=context, detail={"reason": reason})
        raise ValidationError(reason)


def update_staff(user: User, data: dict, *, actor: User | None, context: RequestContext = SYSTEM) -> User:
    """Change name, unit, staff number or phone; only what changed goes into the event."""
    authorise(actor, "staff.manage", user, "staff.update", context)
    unit: Unit | None = data.get("unit", user.unit)
    if unit is not None and unit.agency_id != user.agency_id:
        raise ValidationError({"unit": gettext_lazy("The unit belongs to another agency.")})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = snapshot(locked, STAFF_FIELDS)
        for name in STAFF_FIELDS:
            if name in data:
                setattr(locked, name, data[name])
        locked.full_clean(exclude=["password", "username"])
        old, new = changed(before, snapshot(locked, STAFF_FIELDS))
        if new:
            locked.save(update_fields=list(new))
            record_event("staff.update", actor=actor, obj=locked, context=context, before=old, after=new)
    return locked


def set_active(user: User, active: bool, *, reason: str = "", actor: User | None,
               context: RequestContext = SYSTEM) -> User:
    """Deactivate (sessions end at once, nothing is deleted: events keep naming the account) or reactivate."""
    verb = "staff.reactivate" if active else "staff.deactivate"
    authorise(actor, "staff.manage", user, verb, context)
    _not_oneself(actor, user, verb, context, gettext_lazy("Nobody deactivates their own account."))
    if not active and not reason.strip():
        raise ValidationError({"reason": gettext_lazy("Say why the account is deactivated.")})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_active == active:
            return locked
        locked.is_active = active
        fields = ["is_active"]
        if not active:
            locked.session_generation = F("session_generation") + 1
            fields.append("session_generation")
        locked.save(update_fields=fields)
        record_event(verb, actor=actor, obj=locked, context=context, before={"is_active": not active},
                     after={"is_active": active}, detail={"reason": reason.strip()[:200]} if reason.strip() else None)
    locked.refresh_from_db()
    return locked


def reset_password(user: User, *, actor: User | None, context: RequestContext = SYSTEM) -> str:
    """Hand out a new one-time password: every session of the account ends, and the next login must change it. The
    password is returned once for the administrator to pass on; it is in no event."""
    verb = "staff.password_reset"
    authorise(actor, "staff.manage", user, verb, context)
    _not_oneself(actor, user, verb, context,
                 gettext_lazy("Change your own password on the password page; nobody resets their own."))
    password = generate_password(user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)
        locked.must_change_password = True
        locked.session_generation = F("session_generation") + 1
        locked.save(update_fields=["password", "must_change_password", "session_generation"])
        record_event(verb, actor=actor, obj=locked, context=context, after={"must_change_password": True})
    return password


def unlock(user: User, *, actor: User | None, context: RequestContext = SYSTEM) -> int:
    """Lift the lock-out that repeated failed logins put on the account; returns how many lock records were lifted."""
    from axes.utils import reset

    authorise(actor, "staff.manage", user, "staff.unlock", context)
    with transaction.atomic():
        lifted = reset(username=user.get_username())
        record_event("staff.unlock", actor=actor, obj=user, context=context, detail={"lifted": lifted})
    return lifted


def is_locked_out(usernames: list[str]) -> set[str]:
    """Which of the accounts are locked out now by failed logins."""
    from axes.helpers import get_failure_limit
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.utils import timezone

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    limit = get_failure_limit(None, None)
    return set(AccessAttempt.objects.filter(username__in=usernames, failures_since_start__gte=limit,
                                            attempt_time__gte=since).values_list("username", flat=True))


def sign_out_everywhere(user: User, *, actor: User | None, context: RequestContext = SYSTEM) -> None:
    """End every session of the account, on every device, at its next request. The account itself may ask; so may
    its system administrator (a lost phone, a shared computer)."""
    if actor is None or actor.pk != user.pk:
        authorise(actor, "staff.manage", user, "session.end_all", context)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        record_event("session.end_all", actor=actor, obj=user, context=context)
    user.refresh_from_db(fields=["session_generation"])


def password_changed(user: User, *, context: RequestContext = SYSTEM) -> None:
    """The account changed its own password: a handed-out password is no longer in use."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        record_event("password.change", actor=user, obj=user, context=context,
                     after={"must_change_password": False} if user.must_change_password else None)
    user.must_change_password = False


def add_staff(agency, data: dict, roles: list[str], *, actor: User, context: RequestContext = SYSTEM
              ) -> tuple[User, str]:
    """One account made on the page: a one-time password to hand out, and the roles asked for, not granted."""
    from org.role_changes import request_change
    from org.services import create_staff

    if not can(actor, "staff.manage") or not administration.administers(actor, agency):
        reason = gettext_lazy("Only the system administrator of the agency manages its accounts.")
        record_denial("staff.create", actor=actor, obj=agency, context=context, detail={"reason": reason})
        raise Denied("staff.create", reason, obj=agency, capability="staff.manage")
    username = username_for(agency, data["staff_number"])
    password = generate_password(User(username=username, full_name=data["full_name"],
                                      staff_number=data["staff_number"], phone=data.get("phone", "")))
    with transaction.atomic():
        user = create_staff(agency, username=username, full_name=data["full_name"],
                            password=password, unit=data.get("unit"), staff_number=data["staff_number"],
                            phone=data.get("phone", ""), must_change_password=True, actor=actor, context=context)
        for role in roles:
            request_change(user, role, actor=actor, context=context)
    return user, password
