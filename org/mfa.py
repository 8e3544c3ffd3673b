"""The second login factor: a time-based one-time password (TOTP, RFC 6238) from an authenticator app, through
django-otp, with single-use recovery codes (django-otp's static tokens) for a lost phone.

Required for the roles in ``settings.MFA_REQUIRED_ROLES`` (by default the three administrators, heads and
archivists); anyone else may enrol. Enrolment is the account's own, on a page whose QR code is drawn on the server
(segno, no outside service); a lost factor is reset by the security administrator only, which ends every session of
the account. Each step is an event; a wrong code is a refused one, and django-otp slows repeated wrong codes down.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from authz.roles import Role, roles_of
from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from org.accounts import authorise
from org.models import User

RECOVERY_CODES = 10
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"


@checks.register()
def _required_roles_are_roles(app_configs, **kwargs) -> list[checks.CheckMessage]:
    unknown = set(settings.MFA_REQUIRED_ROLES) - set(Role.values)
    return [checks.Error(f"LAWTRACE_MFA_ROLES names unknown roles: {', '.join(sorted(unknown))}",
                         hint=f"known roles: {', '.join(Role.values)}", id="org.E001")] if unknown else []


def required_for(user: User) -> bool:
    return bool(roles_of(user) & set(settings.MFA_REQUIRED_ROLES))


def authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def start_enrolment(user: User) -> TOTPDevice:
    """A fresh, unconfirmed authenticator for the account (one at a time: an earlier unfinished one is dropped)."""
    if authenticator(user) is not None:
        raise ValidationError(gettext_lazy("A second factor is already set up for this account."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def pending_enrolment(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def qr_code_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code, made here: nothing leaves the server to draw it."""
    import segno

    return segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#111", light="#fff")


def secret_text(device: TOTPDevice) -> str:
    """The key as a phone app's manual entry expects it: base32 in groups of four."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def confirm_enrolment(user: User, token: str, *, context: RequestContext = SYSTEM) -> list[str]:
    """The account proves its app shows the right code; the authenticator is confirmed and recovery codes are made.
    Returns the recovery codes, to be shown once."""
    device = pending_enrolment(user)
    if device is None:
        raise ValidationError(gettext_lazy("Start the set-up again: no authenticator is waiting to be confirmed."))
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        ok = locked.verify_is_allowed()[0] and locked.verify_token(_digits(token))
        if ok:
            locked.confirmed = True
            locked.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(user)
            record_event("mfa.enrol", actor=user, obj=user, context=context,
                         after={"recovery_codes": len(codes)})
    if not ok:
        _wrong_code("mfa.enrol", user, context)
    return codes


def verify(user: User, token: str, *, context: RequestContext = SYSTEM) -> str:
    """Check a code: six digits from the authenticator, or else a recovery code (used up by this). Returns which of
    the two matched."""
    token = token.strip().replace(" ", "").lower()
    is_totp = len(token) == 6 and token.isdigit()
    model, name = (TOTPDevice, TOTP_NAME) if is_totp else (StaticDevice, RECOVERY_NAME)
    matched = False
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            allowed, _why = device.verify_is_allowed()
            if not allowed:
                break
            if device.verify_token(token):
                matched = True
                detail: dict[str, object] = {"method": name}
                if not is_totp:
                    detail["recovery_codes"] = recovery_codes_left(user)
                record_event("mfa.verify", actor=user, obj=user, context=context, detail=detail)
                break
        else:
            allowed = True
    if not matched:
        _wrong_code("mfa.verify", user, context, throttled=not allowed)
    return name


def new_recovery_codes(user: User, *, context: RequestContext = SYSTEM) -> list[str]:
    """Replace the account's recovery codes (the old ones stop working); shown once."""
    if authenticator(user) is None:
        raise ValidationError(gettext_lazy("Set up the authenticator first."))
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        record_event("mfa.recovery_codes", actor=user, obj=user, context=context,
                     after={"recovery_codes": len(codes)})
    return codes


def reset(user: User, *, actor: User, context: RequestContext = SYSTEM) -> None:
    """The security administrator removes a lost second factor: every session ends, and the account sets up a new one
    at its next login where its roles require one."""
    verb = "mfa.reset"
    authorise(actor, "mfa.reset", user, verb, context)
    if actor.pk == user.pk:
        reason = gettext_lazy("Nobody resets their own second factor.")
        record_denial(verb, actor=actor, obj=user, context=context, detail={"reason": reason})
        raise ValidationError(reason)
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        record_event(verb, actor=actor, obj=user, context=context, detail={"removed": removed})


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < RECOVERY_CODES:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _digits(token: str) -> str:
    return "".join(c for c in str(token) if c.isdigit())


def _wrong_code(verb: str, user: User, context: RequestContext, *, throttled: bool = False):
    reason = (gettext_lazy("Too many wrong codes: wait a minute before the next try.") if throttled
              else gettext_lazy("The code is wrong or has expired. Wait for the next code and try again."))
    record_denial(verb, actor=user, obj=user, context=context, detail={"reason": reason})
    raise ValidationError(reason)
