"""Agencies and their units as the system administrator keeps them: an agency bound to the policy pack it follows,
units as a tree (a brigade's squadrons, a bureau's sections). Each change is an event.

An agency created in the application is hosted by the platform its creator's agency runs (``org.administration``).
Its pack can be changed until the agency starts working (its first case, activity or record is on record); after
that the pack's own versions take over, and a change of rulebook is the pack activation's business.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from authz.capabilities import can
from authz.denied import Denied
from ledger.events import SYSTEM, RequestContext, changed, record_denial, record_event, snapshot
from ledger.models import Event
from org import administration
from org.models import Agency, Unit, User
from org.services import create_agency, create_unit
from policy.activation import bootstrap
from policy.registry import registry

AGENCY_FIELDS = ["name", "pack_code", "account_prefix"]
UNIT_FIELDS = ["name", "kind", "parent", "is_records_unit"]
# What setting an agency up writes; anything else on record means the agency has started working.
SETUP_VERBS = ("agency.create", "agency.update", "unit.create", "unit.update", "staff.create", "staff.update",
               "staff.import", "staff.deactivate", "staff.reactivate", "staff.password_reset", "staff.unlock",
               "role.grant", "role.request", "role.approve", "role.decline", "role.revoke", "qualification.create",
               "qualification.update", "login", "logout", "login.failed", "password.change", "mfa.enrol",
               "mfa.verify", "mfa.reset", "mfa.recovery_codes", "session.end_all", "device.register",
               "device.update", "device.import", "pack.activate")


def _authorise(actor: User, agency: Agency | None, verb: str, context: RequestContext) -> None:
    if not can(actor, "agency.manage") or (agency is not None and not administration.administers(actor, agency)):
        reason = gettext_lazy("Only the system administrator keeps agencies and units.")
        record_denial(verb, actor=actor, obj=agency, context=context, detail={"reason": reason})
        raise Denied(verb, reason, obj=agency, capability="agency.manage")


def add_agency(*, code: str, name: str, pack_code: str, account_prefix: str, actor: User,
               context: RequestContext = SYSTEM) -> Agency:
    """A new agency on the creator's platform."""
    _authorise(actor, None, "agency.create", context)
    if actor.agency is None:  # no capability is held outside an agency; kept for the type's sake
        raise Denied("agency.create", "", capability="agency.manage")
    return create_agency(code=code, name=name, pack_code=pack_code, account_prefix=account_prefix,
                         hosted_by=administration.root_of(actor.agency), actor=actor, context=context)


def in_use(agency: Agency) -> bool:
    return Event.objects.filter(agency_code=agency.code).exclude(verb__in=SETUP_VERBS).exists()


def update_agency(agency: Agency, data: dict, *, actor: User, context: RequestContext = SYSTEM) -> Agency:
    _authorise(actor, agency, "agency.update", context)
    if data.get("pack_code", agency.pack_code) != agency.pack_code:
        if data["pack_code"] not in registry().codes():
            raise ValidationError({"pack_code": gettext_lazy("No such policy pack is installed.")})
        if in_use(agency):
            raise ValidationError({"pack_code": gettext_lazy(
                "The agency has started working under its pack; its rulebook now changes only by activating a new "
                "version of its pack.")})
    with transaction.atomic():
        locked = Agency.objects.select_for_update().get(pk=agency.pk)
        before = snapshot(locked, AGENCY_FIELDS)
        for name in AGENCY_FIELDS:
            if name in data:
                setattr(locked, name, data[name])
        locked.full_clean()
        old, new = changed(before, snapshot(locked, AGENCY_FIELDS))
        if new:
            locked.save(update_fields=list(new))
            record_event("agency.update", actor=actor, obj=locked, agency_code=locked.code, context=context,
                         before=old, after=new)
            if "pack_code" in new:  # before any work: the new pack's first version governs from the start
                bootstrap(locked, actor=actor, context=context)
    return locked


def add_unit(agency: Agency, *, name: str, kind: str, parent: Unit | None, is_records_unit: bool, actor: User,
             context: RequestContext = SYSTEM) -> Unit:
    _authorise(actor, agency, "unit.create", context)
    return create_unit(agency, name=name, kind=kind, parent=parent, is_records_unit=is_records_unit, actor=actor,
                       context=context)


def update_unit(unit: Unit, data: dict, *, actor: User, context: RequestContext = SYSTEM) -> Unit:
    _authorise(actor, unit.agency, "unit.update", context)
    parent = data.get("parent", unit.parent)
    if parent is not None:
        if parent.agency_id != unit.agency_id:
            raise ValidationError({"parent": gettext_lazy("The parent unit belongs to another agency.")})
        if unit.pk in {u.pk for u in ancestors(parent)} | {parent.pk}:
            raise ValidationError({"parent": gettext_lazy("A unit cannot sit under itself or under its own "
                                                          "sub-units.")})
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        before = snapshot(locked, UNIT_FIELDS)
        for name in UNIT_FIELDS:
            if name in data:
                setattr(locked, name, data[name])
        locked.full_clean()
        old, new = changed(before, snapshot(locked, UNIT_FIELDS))
        if new:
            locked.save()
            record_event("unit.update", actor=actor, obj=locked, context=context, before=old, after=new)
    return locked


def ancestors(unit: Unit) -> list[Unit]:
    """The unit's parents up to the top, nearest first (a cycle written behind the application's back ends it)."""
    found, seen, current = [], {unit.pk}, unit.parent
    while current is not None and current.pk not in seen:
        found.append(current)
        seen.add(current.pk)
        current = current.parent
    return found


def tree(agency: Agency) -> list[tuple[Unit, int]]:
    """The agency's units depth-first, each with its depth, children by name; one query."""
    units = list(Unit.objects.filter(agency=agency).order_by("name"))
    children: dict[int | None, list[Unit]] = {}
    ids = {u.pk for u in units}
    for unit in units:
        children.setdefault(unit.parent_id if unit.parent_id in ids else None, []).append(unit)
    ordered: list[tuple[Unit, int]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for unit in children.get(parent, []):
            if unit.pk not in seen:
                seen.add(unit.pk)
                ordered.append((unit, depth))
                walk(unit.pk, depth + 1)

    walk(None, 0)
    ordered.extend((u, 0) for u in units if u.pk not in seen)  # a loop made behind the application's back
    return ordered
