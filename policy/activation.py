"""Putting a pack version into force (issue: a file dropped into a pack directory must never govern by itself).

The security administrator puts a version forward (an upload, or a file already in a pack directory) with
an effective date; it is validated line by line; the head approves or rejects it. Each step is an event, and the
approval's event carries the SHA-256 of the exact text that will govern. Earlier versions stay and keep governing what
was done under them. An agency's first version is activated when the agency is set up.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from authz.capabilities import can
from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from policy import current
from policy.loader import load_text
from policy.models import Activation, PackVersion
from policy.registry import PackFile, registry, sha256_of
from policy.schema import PolicyPack

MAX_PACK_BYTES = 512 * 1024



def may(actor, action: str, agency) -> bool:
    """Whether ``actor`` may ``propose`` or ``decide`` versions of ``agency`` (``pack.propose`` and ``pack.decide``
    of ``policy/permissions.py``, in their own agency)."""
    return (actor is not None and getattr(actor, "agency_id", None) == agency.pk
            and can(actor, f"pack.{action}"))


def _require(actor, action: str, agency, obj, context: RequestContext) -> None:
    if not may(actor, action, agency):
        verb = "pack.propose" if action == "propose" else "pack.decide"
        # Kept untranslated on record, translated where shown (ledger.wording).
        message = gettext_lazy("Only the security administrator of the agency puts pack versions forward, and "
                               "only its head approves them.") if action == "propose" \
            else gettext_lazy("Only the head of the agency approves a policy pack version.")
        record_denial(verb, actor=actor, obj=obj, agency_code=agency.code, context=context,
                      detail={"reason": message})
        raise PermissionError(str(message))


def check_text(raw: bytes, file_name: str) -> tuple[str, PolicyPack]:
    """Decode and validate an uploaded pack; PackInvalid lists each problem with the file's line and the reason."""
    if len(raw) > MAX_PACK_BYTES:
        raise ValidationError(_("A policy pack file may not exceed 512 KiB."))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(_("The file is not UTF-8 text.")) from exc
    return text, load_text(text, file_name)


def _kept(text: str, pack: PolicyPack, file_name: str, origin: str, actor) -> PackVersion:
    """The stored text of this version; the same number with other content is refused (number it anew)."""
    sha = sha256_of(text)
    existing = PackVersion.objects.filter(code=pack.pack, version=pack.version).first()
    if existing is not None:
        if existing.sha256 != sha:
            raise ValidationError(_("Version %(n)s of %(code)s already exists with different content; give the new "
                                    "text the next version number.") % {"n": pack.version, "code": pack.pack})
        return existing
    return PackVersion.objects.create(code=pack.pack, version=pack.version, sha256=sha, text=text,
                                      file_name=file_name[:255], origin=origin, added_by=actor,
                                      added_at=timezone.now())


def _facts(activation: Activation) -> dict:
    return {"agency": activation.agency.name, "pack": activation.pack.code, "version": activation.pack.version,
            "sha256": activation.pack.sha256, "effective_from": activation.effective_from.isoformat(),
            "state": activation.state}


def propose(agency, raw: bytes, file_name: str, *, effective_from: dt.date, reason: str, actor,
            origin: str = "upload", context: RequestContext = SYSTEM) -> Activation:
    """Put a version forward for the head's approval. Nothing governs until it is approved."""
    _require(actor, "propose", agency, None, context)
    text, pack = check_text(raw, file_name)
    errors: dict[str, list[str]] = {}
    if pack.pack != agency.pack_code:
        errors["file"] = [_("This file is pack %(code)s; the agency follows %(mine)s.")
                          % {"code": pack.pack, "mine": agency.pack_code}]
    if effective_from < timezone.localdate():
        errors["effective_from"] = [_("A version cannot come into force in the past: what was done stays under the "
                                      "rules of its time.")]
    approved = Activation.objects.filter(agency=agency, state=Activation.State.APPROVED)
    highest = max(approved.values_list("pack__version", flat=True), default=0)
    if pack.version <= highest:
        errors["file"] = [_("Version %(n)s is not newer than version %(m)s already approved; number it anew.")
                          % {"n": pack.version, "m": highest}]
    if not reason.strip():
        errors["reason"] = [_("Say why the rules change (e.g. the new rulebook's number).")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        kept = _kept(text, pack, file_name, origin, actor)
        activation = Activation.objects.create(agency=agency, pack=kept, effective_from=effective_from,
                                               reason=reason.strip(), proposed_by=actor, proposed_at=timezone.now())
        record_event("pack.propose", actor=actor, obj=activation, agency_code=agency.code, context=context,
                     after={**_facts(activation), "file_name": kept.file_name, "reason": activation.reason})
    return activation


def propose_file(agency, found: PackFile, **kwargs) -> Activation:
    """Put forward a version found in a pack directory of this installation."""
    return propose(agency, found.text.encode("utf-8"), found.path.name, origin="directory", **kwargs)


def decide(activation: Activation, *, approve: bool, comment: str, actor,
           context: RequestContext = SYSTEM) -> Activation:
    """The head approves (the version comes into force on its date) or rejects with a reason."""
    agency = activation.agency
    _require(actor, "decide", agency, activation, context)
    with transaction.atomic():
        locked = Activation.objects.select_for_update().select_related("pack", "agency").get(pk=activation.pk)
        if locked.state != Activation.State.PROPOSED:
            raise ValidationError(_("This version has already been decided."))
        if locked.proposed_by_id == actor.pk:
            raise PermissionError(_("Nobody may approve a version they put forward."))
        if not approve and not comment.strip():
            raise ValidationError({"decision_comment": _("Say why the version is rejected.")})
        if approve and locked.effective_from < timezone.localdate():
            raise ValidationError(_("Its effective date has passed; it must be put forward again with a new date."))
        locked.state = Activation.State.APPROVED if approve else Activation.State.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_comment = actor, timezone.now(), comment.strip()
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_comment"])
        record_event("pack.activate" if approve else "pack.reject", actor=actor, obj=locked,
                     agency_code=agency.code, context=context, after={**_facts(locked), "comment": comment.strip()})
        current.forget_schedules()
    return locked


def withdraw(activation: Activation, *, actor, context: RequestContext = SYSTEM) -> Activation:
    """A proposal still waiting may be withdrawn by an administrator of the agency."""
    _require(actor, "propose", activation.agency, activation, context)
    with transaction.atomic():
        locked = Activation.objects.select_for_update().select_related("pack", "agency").get(pk=activation.pk)
        if locked.state != Activation.State.PROPOSED:
            raise ValidationError(_("Only a version waiting for approval can be withdrawn."))
        locked.state, locked.decided_by, locked.decided_at = Activation.State.WITHDRAWN, actor, timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        record_event("pack.withdraw", actor=actor, obj=locked, agency_code=locked.agency.code, context=context,
                     after=_facts(locked))
    return locked


def bootstrap(agency, *, actor=None, context: RequestContext = SYSTEM) -> Activation | None:
    """The first version of a new agency's pack: choosing its rules is part of setting the agency up, recorded like any
    activation (with the text's hash). Later versions need the head's approval. Does nothing once one is approved."""
    if Activation.objects.filter(agency=agency, state=Activation.State.APPROVED, pack__code=agency.pack_code).exists():
        return None
    found = registry().files(agency.pack_code)[0]
    with transaction.atomic():
        kept = _kept(found.text, found.pack, found.path.name, "directory", actor)
        now = timezone.now()
        activation = Activation.objects.create(
            agency=agency, pack=kept, effective_from=found.pack.effective_from, state=Activation.State.APPROVED,
            reason="initial", proposed_by=actor, proposed_at=now, decided_by=actor, decided_at=now)
        record_event("pack.activate", actor=actor, obj=activation, agency_code=agency.code, context=context,
                     after={**_facts(activation), "initial": True})
        current.forget_schedules()
    return activation


def bootstrap_all(**kwargs) -> int:
    """Activate the first version for every agency that has none (after an upgrade to pack activation)."""
    from org.models import Agency

    done = 0
    for agency in Agency.objects.exclude(pack_activations__state=Activation.State.APPROVED):
        if bootstrap(agency, **kwargs) is not None:
            done += 1
    return done


def pending(agency):
    return Activation.objects.filter(agency=agency, state=Activation.State.PROPOSED).select_related("pack")


def not_yet_proposed(agency) -> list[PackFile]:
    """Versions of the agency's pack found in the pack directories that no activation has put forward or approved:
    shown to administrators so a file nobody proposed is visible, never silently in force."""
    known = set(PackVersion.objects.filter(code=agency.pack_code, activations__agency=agency)
                .values_list("sha256", flat=True))
    try:
        files = registry().files(agency.pack_code)
    except LookupError:
        return []
    return [f for f in files if f.sha256 not in known]
