"""Action functions for the organisation: each change writes its event in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from authz.capabilities import can
from authz.roles import ADMINS, Role
from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from org.models import Agency, Qualification, RoleGrant, Unit, User
from policy.registry import PackNotFound, registry


def create_agency(*, code: str, name: str, pack_code: str, actor: User | None = None,
                  context: RequestContext = SYSTEM) -> Agency:
    try:
        registry().versions(pack_code)
    except PackNotFound as exc:
        raise ValidationError({"pack_code": _("No policy pack named %(code)s is installed.") % {"code": pack_code}}) \
            from exc
    with transaction.atomic():
        agency = Agency.objects.create(code=code, name=name, pack_code=pack_code)
        record_event("agency.create", actor=actor, obj=agency, agency_code=code, context=context,
                     after={"code": code, "name": name, "pack_code": pack_code})
    return agency


def create_unit(agency: Agency, *, name: str, kind: str = Unit.Kind.SECTION, is_records_unit: bool = False,
                actor: User | None = None, context: RequestContext = SYSTEM) -> Unit:
    with transaction.atomic():
        unit = Unit(agency=agency, name=name, kind=kind, is_records_unit=is_records_unit)
        unit.full_clean()
        unit.save()
        record_event("unit.create", actor=actor, obj=unit, context=context,
                     after={"name": name, "kind": kind, "is_records_unit": is_records_unit})
    return unit


def create_staff(agency: Agency, *, username: str, full_name: str, password: str, unit: Unit | None = None,
                 staff_number: str = "", roles: tuple[str, ...] = (), actor: User | None = None,
                 context: RequestContext = SYSTEM) -> User:
    from django.contrib.auth.password_validation import validate_password

    if unit is not None and unit.agency_id != agency.pk:
        raise ValidationError({"unit": _("The unit belongs to another agency.")})
    with transaction.atomic():
        user = User(username=username, full_name=full_name, agency=agency, unit=unit, staff_number=staff_number)
        validate_password(password, user)
        user.set_password(password)
        user.full_clean()
        user.save()
        record_event("staff.create", actor=actor, obj=user, agency_code=agency.code, context=context,
                     after={"username": username, "full_name": full_name, "unit": str(unit or "")})
        for role in roles:
            grant_role(user, role, actor=actor, context=context)
    return user


def grant_role(user: User, role: str, *, actor: User | None = None, context: RequestContext = SYSTEM) -> RoleGrant:
    """Grant a role. An administrator role (system, security, audit) is the account's only role (三员分立)."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role %(role)s.") % {"role": role}})
    with transaction.atomic():
        # Lock the user row so two concurrent grants cannot both pass the separation check.
        locked = User.objects.select_for_update().get(pk=user.pk)
        held = set(locked.role_grants.values_list("role", flat=True))
        if role in held:
            return locked.role_grants.get(role=role)
        separation_broken = bool(held and (role in ADMINS or held & ADMINS))
        if not separation_broken:
            grant = RoleGrant.objects.create(user=locked, role=role)
            record_event("role.grant", actor=actor, obj=locked, context=context,
                         before={"roles": sorted(held)}, after={"roles": sorted(held | {role})})
    if separation_broken:
        record_denial("role.grant", actor=actor, obj=locked, context=context,
                      detail={"role": role, "held": sorted(held)})
        raise ValidationError(
            _("The system, security and audit administrators must be separate accounts with no other role.")
        )
    user.__dict__.pop("_role_cache", None)
    return grant


def add_qualification(user: User, *, kind: str, certificate_number: str, issuer: str, valid_from: dt.date,
                      valid_until: dt.date, actor: User | None = None,
                      context: RequestContext = SYSTEM) -> Qualification:
    with transaction.atomic():
        qualification = Qualification(user=user, kind=kind, certificate_number=certificate_number, issuer=issuer,
                                      valid_from=valid_from, valid_until=valid_until)
        qualification.full_clean()
        qualification.save()
        record_event("qualification.create", actor=actor, obj=user, context=context,
                     after={"kind": kind, "certificate_number": certificate_number, "issuer": issuer,
                            "valid_from": str(valid_from), "valid_until": str(valid_until)})
    return qualification


def staff_by_number(agency: Agency, number: str) -> User | None:
    """The agency's staff member whose staff number (警号) or enforcement certificate number is ``number``."""
    number = number.strip()
    if not number:
        return None
    found = User.objects.filter(agency=agency, staff_number=number).first()
    if found is None:
        found = User.objects.filter(agency=agency, qualifications__certificate_number=number).first()
    return found


def enforcement_qualifications(user_ids: list[int]) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Each user's enforcement-qualification validity periods (004/7-8), for judging many activities at once."""
    periods: dict[int, list[tuple[dt.date, dt.date]]] = {}
    rows = Qualification.objects.filter(user_id__in=user_ids, kind=Qualification.Kind.ENFORCEMENT)
    for user_id, start, end in rows.values_list("user_id", "valid_from", "valid_until"):
        periods.setdefault(user_id, []).append((start, end))
    return periods


def units_of(user_ids: list[int]) -> dict[int, int | None]:
    return dict(User.objects.filter(pk__in=user_ids).values_list("pk", "unit_id"))


def set_clearances(person: User, marks: list[str], *, actor: User, context: RequestContext = SYSTEM) -> User:
    """Which confidentiality marks (000/1/10) a staff member may see; only the security administrator of the same agency
    decides (三员分立: permissions are the security administrator's)."""
    if not can(actor, "clearance.set") or actor.agency_id != person.agency_id:
        record_denial("user.clearance", actor=actor, obj=person, context=context)
        raise ValidationError(_("Only the security administrator of the agency sets clearances."))
    offered = registry().in_force(person.agency.pack_code).confidentiality
    allowed = {str(m) for m in offered.marks} if offered else set()
    unknown = set(marks) - allowed
    if unknown:
        raise ValidationError(_("Unknown confidentiality marks: %(marks)s.") % {"marks": "、".join(sorted(unknown))})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=person.pk)
        before = sorted(locked.clearances or [])
        locked.clearances = sorted(set(marks))
        if locked.clearances != before:
            locked.save(update_fields=["clearances"])
            record_event("user.clearance", actor=actor, obj=locked, context=context,
                         before={"clearances": before}, after={"clearances": locked.clearances})
    return locked


def qualified_officers(agency: Agency, day: dt.date) -> list[User]:
    """Active staff of the agency holding an enforcement qualification valid on ``day``, with a staff number."""
    return list(User.objects.filter(agency=agency, is_active=True, qualifications__kind=Qualification.Kind.ENFORCEMENT,
                                    qualifications__valid_from__lte=day, qualifications__valid_until__gte=day)
                .exclude(staff_number="").distinct().order_by("staff_number"))
