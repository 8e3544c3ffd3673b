"""Action functions for cases and activities; each writes its event in the change's own transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from authz.capabilities import can, holders
from authz.roles import Role
from authz.scopes import allowed
from cases.models import Activity, ActivityOfficer, Case
from ledger.events import SYSTEM, RequestContext, changed, record_denial, record_event, snapshot
from ledger.wording import Wording, Words
from org.models import Agency, Qualification, User
from policy import current, rules

CASE_FIELDS = [
    "number", "title", "category", "procedure", "party_kind", "party_name", "party_identifier", "opened_on",
    "state", "archived_on", *Case.FLAG_FIELDS, *Case.MARK_FIELDS,
]
ACTIVITY_FIELDS = [
    "case", "category", "stage", "place", "planned_start", "planned_end", "actual_start", "actual_end",
    "properties", "moments", "remote_or_continuous", "description",
]


class CaseRefused(ValidationError):
    """Refused, on record: the message says why (and the field it concerns, where a form shows it)."""


def _refuse(verb: str, actor: User, case: Case | None, message: Any, context: RequestContext,
            field: str | None = None) -> CaseRefused:
    # The message is a lazy translation or a Wording: the ledger keeps its message id (ledger.wording).
    record_denial(verb, actor=actor, obj=case, context=context, detail={"reason": message})
    return CaseRefused({field: [message]} if field else message)


def _check_case(case: Case, handlers: Iterable[User] | None) -> None:
    errors: dict[str, list[str]] = {}
    if handlers is not None:
        if [h for h in handlers if h.agency_id != case.agency_id]:
            errors["handlers"] = [_("Case handlers must be staff of the same agency.")]
        if not list(handlers):
            errors["handlers"] = [_("A case needs at least one handler.")]
    categories = current.in_force(case.agency, case.opened_on).agency.categories
    if case.category not in {c.value for c in categories}:
        errors["category"] = [_("Your agency's rules do not cover this enforcement category.")]
    if case.state == Case.State.ARCHIVED and case.archived_on is None:
        errors["archived_on"] = [_("An archived case needs its archive date.")]
    if case.archived_on and case.archived_on < case.opened_on:
        errors["archived_on"] = [_("The archive date cannot be before the case was opened.")]
    if Case.objects.filter(agency=case.agency, number=case.number).exclude(pk=case.pk).exists():
        errors["number"] = [_("This case number is already used in your agency.")]
    if errors:
        raise ValidationError(errors)


def _assigned_by(agency) -> Wording:
    return Wording(gettext_noop("Case handlers are assigned by %(office)s."), office=[
        Role(role).label for role in Role.values if role in holders("case.assign_handlers", agency)])


def create_case(agency: Agency, data: dict[str, Any], handlers: list[User], *, actor: User,
                context: RequestContext = SYSTEM) -> Case:
    """Open a case. Whoever may assign handlers names them; anyone else who opens a case is its one handler until
    the handlers are assigned (000/1/4: handlers view its records directly)."""
    if {h.pk for h in handlers} != {actor.pk} and not can(actor, "case.assign_handlers"):
        raise _refuse("case.assign_handlers", actor, None, _assigned_by(agency), context, "handlers")
    case = Case(agency=agency, **data)
    case.pack_version = current.in_force(agency, case.opened_on).version
    _check_case(case, handlers)
    case.full_clean(exclude=["handlers"])
    with transaction.atomic():
        case.save()
        case.handlers.set(handlers)
        record_event("case.create", actor=actor, obj=case, context=context,
                     after={**snapshot(case, CASE_FIELDS), "handlers": sorted(str(h.pk) for h in handlers)})
    return case


def _mark_problem(case: Case, data: dict[str, Any], actor: User) -> tuple[str, str, Words] | None:
    """A mark may be raised by a handler of the case and lowered only by the security administrator (000/1/10):
    (verb, field, message) for a change this edit may not make."""
    for field in Case.MARK_FIELDS:
        if field not in data or bool(data[field]) == getattr(case, field):
            continue
        if not data[field]:
            return "case.lower_mark", field, gettext_lazy("Only the security administrator lowers a "
                                                          "confidentiality mark, and says why (000/1/10).")
        if not can(actor, "case.raise_mark") or not allowed(case, actor, "raise_mark"):
            return "case.raise_mark", field, gettext_lazy("A confidentiality mark is raised by a handler of "
                                                          "the case (000/1/10).")
    return None


def update_case(case: Case, data: dict[str, Any], *, actor: User, context: RequestContext = SYSTEM) -> Case:
    """Correct the case's facts. Its handlers are not among them (``assign_handlers``); a mark may only be raised
    here, by a handler (``lower_marks`` is the security administrator's)."""
    current = Case.objects.get(pk=case.pk)
    if problem := _mark_problem(current, data, actor):
        verb, field, message = problem
        raise _refuse(verb, actor, current, message, context, field)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        before = snapshot(locked, CASE_FIELDS)
        for name, value in data.items():
            setattr(locked, name, value)
        _check_case(locked, None)
        locked.full_clean(exclude=["handlers"])
        locked.save()
        old, new = changed(before, snapshot(locked, CASE_FIELDS))
        if new:
            record_event("case.update", actor=actor, obj=locked, context=context, before=old, after=new)
    return locked


def assign_handlers(case: Case, handlers: list[User], *, reason: str, actor: User,
                    context: RequestContext = SYSTEM) -> Case:
    """Name the case's handlers, who then view its records directly (000/1/4): the head does, or the office the
    agency's pack names, always with a reason."""
    problem: Words | None = None
    field: str | None = None
    if not can(actor, "case.assign_handlers") or not allowed(case, actor):
        problem = _assigned_by(case.agency)
    elif not reason.strip():
        problem, field = gettext_lazy("Say why the handlers change."), "reason"
    elif not handlers:
        problem, field = gettext_lazy("A case needs at least one handler."), "handlers"
    elif any(h.agency_id != case.agency_id for h in handlers):
        problem, field = gettext_lazy("Case handlers must be staff of the same agency."), "handlers"
    if problem is not None:
        raise _refuse("case.assign_handlers", actor, case, problem, context, field)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        before = snapshot(locked, ["handlers"])
        locked.handlers.set(handlers)
        after = snapshot(locked, ["handlers"])
        if after != before:
            record_event("case.assign_handlers", actor=actor, obj=locked, context=context, before=before,
                         after=after, detail={"reason": reason.strip()})
    return locked


def lower_marks(case: Case, marks: list[str], *, reason: str, actor: User, context: RequestContext = SYSTEM) -> Case:
    """The security administrator lowers confidentiality marks of a case, with a reason (000/1/10)."""
    problem: Words | None = None
    field: str | None = None
    if not can(actor, "case.lower_mark") or not allowed(case, actor, "lower_mark"):
        problem = gettext_lazy("Only the security administrator lowers a confidentiality mark, and says why "
                               "(000/1/10).")
    elif not reason.strip():
        problem, field = gettext_lazy("Say why the mark is lowered."), "reason"
    elif not marks or any(m not in Case.MARK_FIELDS or not getattr(case, m) for m in marks):
        problem, field = gettext_lazy("Choose marks the case carries."), "marks"
    if problem is not None:
        raise _refuse("case.lower_mark", actor, case, problem, context, field)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        before = {m: True for m in marks if getattr(locked, m)}
        for mark in before:
            setattr(locked, mark, False)
        locked.save(update_fields=[*before, "updated_at"])
        record_event("case.lower_mark", actor=actor, obj=locked, context=context, before=before,
                     after=dict.fromkeys(before, False), detail={"reason": reason.strip()})
    return locked


def _check_activity(activity: Activity, officers: list[User], assistants: list[User]) -> None:
    """Stage, properties and moments from the pack in force; officers from the agency; where the pack says so, only
    qualified officers record and assistants only assist (004/7-8)."""
    errors: dict[str, list[str]] = {}
    pack = current.version_of(activity.agency, activity.pack_version)
    row = rules.checklist_row(pack, activity.stage)
    if row is None:
        errors["stage"] = [_("This stage is not in your agency's recording checklist.")]
    elif activity.category not in {c.value for c in row.categories}:
        errors["stage"] = [_("This stage does not belong to the chosen enforcement category.")]
    if activity.category not in {c.value for c in pack.agency.categories}:
        errors["category"] = [_("Your agency's rules do not cover this enforcement category.")]
    declared = {p.id for p in pack.properties}
    if not isinstance(activity.properties, list) or set(activity.properties) - declared:
        errors["properties"] = [_("Only the properties your agency's rules ask about can be answered.")]
    errors.update(_moment_errors(activity, pack))
    if activity.planned_start and activity.planned_end and activity.planned_end < activity.planned_start:
        errors["planned_end"] = [_("The planned end is before the planned start.")]
    if activity.actual_end and not activity.actual_start:
        errors["actual_start"] = [_("Enter the actual start before the actual end.")]
    if activity.actual_start and activity.actual_end and activity.actual_end < activity.actual_start:
        errors["actual_end"] = [_("The actual end is before the actual start.")]
    if activity.case_id and activity.case.agency_id != activity.agency_id:
        errors["case"] = [_("The case belongs to another agency.")]
    day = timezone.localtime(activity.actual_start or activity.planned_start).date()
    people = [*officers, *assistants]
    if any(p.agency_id != activity.agency_id for p in people):
        errors["officers"] = [_("Officers must be staff of the same agency.")]
    if set(officers) & set(assistants):
        errors["assistants"] = [_("A person cannot be both officer and assistant on one activity.")]
    if not officers:
        errors.setdefault("officers", []).append(_("An activity needs at least one enforcement officer."))
    if pack.recording is not None and pack.recording.subject_rule is not None:
        unqualified = [
            str(o) for o in officers
            if (q := o.qualification_on(day)) is None or q.kind != Qualification.Kind.ENFORCEMENT
        ]
        if unqualified:
            errors.setdefault("officers", []).append(
                _("Only holders of a valid enforcement qualification can be recording officers: %(names)s.")
                % {"names": "、".join(unqualified)}
            )
        without = [str(a) for a in assistants if a.qualification_on(day) is None]
        if without:
            errors["assistants"] = [
                _("Assistants need a valid enforcement or assisting qualification: %(names)s.")
                % {"names": "、".join(without)}
            ]
    if errors:
        raise ValidationError(errors)


def _moment_errors(activity: Activity, pack) -> dict[str, list[str]]:
    """Marked moments are moments the pack names, at times inside the activity as it actually took place."""
    import datetime as dt

    moments = activity.moments
    if not isinstance(moments, dict):
        return {"moments": [_("Moments are given by name and time.")]}
    named = {m.id for m in (pack.recording.moments if pack.recording else [])}
    if set(moments) - named:
        return {"moments": [_("Only the moments your agency's rules name can be marked.")]}
    for value in moments.values():
        try:
            at = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return {"moments": [_("A moment's time is not a valid date and time.")]}
        at = timezone.make_aware(at) if timezone.is_naive(at) else at
        if activity.actual_start is None or at < activity.actual_start or (
                activity.actual_end is not None and at > activity.actual_end):
            return {"moments": [_("A marked moment must fall between the activity's actual start and end.")]}
    return {}


def _participants(activity: Activity) -> dict[str, list[str]]:
    rows = activity.participants.order_by("user_id").values_list("part", "user_id")
    return {
        "officers": [str(uid) for part, uid in rows if part == ActivityOfficer.Part.OFFICER],
        "assistants": [str(uid) for part, uid in rows if part == ActivityOfficer.Part.ASSISTANT],
    }


def _set_participants(activity: Activity, officers: list[User], assistants: list[User]) -> None:
    activity.participants.all().delete()
    ActivityOfficer.objects.bulk_create(
        [ActivityOfficer(activity=activity, user=u, part=ActivityOfficer.Part.OFFICER) for u in officers]
        + [ActivityOfficer(activity=activity, user=u, part=ActivityOfficer.Part.ASSISTANT) for u in assistants]
    )


def create_activity(agency: Agency, data: dict[str, Any], officers: list[User], assistants: list[User], *,
                    actor: User, context: RequestContext = SYSTEM) -> Activity:
    activity = Activity(agency=agency, created_by=actor, **data)
    activity.pack_version = current.in_force(agency, activity.planned_start).version
    _check_activity(activity, officers, assistants)
    activity.full_clean()
    with transaction.atomic():
        activity.save()
        _set_participants(activity, officers, assistants)
        record_event("activity.create", actor=actor, obj=activity, context=context,
                     after={**snapshot(activity, ACTIVITY_FIELDS), **_participants(activity)})
    return activity


def update_activity(activity: Activity, data: dict[str, Any], officers: list[User], assistants: list[User], *,
                    actor: User, context: RequestContext = SYSTEM) -> Activity:
    with transaction.atomic():
        locked = Activity.objects.select_for_update().select_related("agency").get(pk=activity.pk)
        before = {**snapshot(locked, ACTIVITY_FIELDS), **_participants(locked)}
        for name, value in data.items():
            setattr(locked, name, value)
        _check_activity(locked, officers, assistants)
        locked.full_clean()
        locked.save()
        _set_participants(locked, officers, assistants)
        old, new = changed(before, {**snapshot(locked, ACTIVITY_FIELDS), **_participants(locked)})
        if new:
            record_event("activity.update", actor=actor, obj=locked, context=context, before=old, after=new)
    return locked
