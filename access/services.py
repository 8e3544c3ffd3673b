"""Access requests, approvals and grants (000/1/4-8, 000/1/10): one action function per change, each writing its event;
refusals are events too (``record_denial``) and say in words what to do instead."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from access import rules
from access.models import AccessRequest, ApprovalDecision
from authz import scopes
from authz.capabilities import can
from authz.roles import office_role, staff_agency
from cases.queries import visible_cases
from evidence.models import Record
from evidence.queries import visible_records
from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from ledger.wording import Wording
from org.models import User
from policy import current
from policy import rules as rules_of_pack
from policy.citations import law
from policy.vocabulary import AccessAction, AccessPurpose, AccessScope, Approver, Credential, RequesterType


class AccessRefused(Exception):
    """The request or decision was refused; the message says why, citing the rule where there is one."""


@dataclass
class Application:
    """What a requester asks for, as the form or the API collected it."""

    requester_type: str
    requester_name: str
    requester_unit: str
    purpose: str
    reason: str
    actions: list[str]
    record_ids: list[int]
    valid_until: dt.datetime
    requester_user: User | None = None
    requester_id_number: str = ""
    case_id: int | None = None
    credentials: list[dict] = field(default_factory=list)
    credentials_verified: bool = False


def _refuse(verb: str, actor: User, message: Any, context: RequestContext, obj=None, **detail) -> AccessRefused:
    # The message is a lazy translation or a Wording: the ledger keeps its message id (ledger.wording).
    record_denial(verb, actor=actor, obj=obj, context=context, detail={"reason": message, **detail})
    return AccessRefused(message)


def submit_request(application: Application, *, actor: User, context: RequestContext = SYSTEM) -> AccessRequest:
    """File a request. Staff file their own; the archivist files for outside requesters after seeing their papers.
    A rule without approval steps grants at once (registration only: 001/4/3, 000/1/6)."""
    agency = staff_agency(actor)
    if agency is None:
        raise _refuse("access.request", actor, gettext_lazy("Your account does not belong to an agency."), context)
    pack = current.in_force(agency)
    actions = set(application.actions)
    case = visible_cases(actor).filter(pk=application.case_id).first() if application.case_id else None
    records = list(visible_records(actor).filter(pk__in=application.record_ids).select_related("case"))
    problem = _check_requester(application, actor, pack)
    refused = None
    if problem is None:
        problem, refused = _check_case_officer(application, records, case)
    rule = None
    if problem is None:
        rule = rules.matching_rule(pack, application.requester_type, actions, application.purpose)
        if rule is None:
            problem = _no_rule(pack, agency, application, actions)
    if problem is None and application.case_id and case is None:
        problem = gettext_lazy("The case was not found.")
    if problem is None:
        problem = _check_rule(application, rule, pack, case)
    if problem is None:
        problem = _check_items(application, rule, records, case) or _check_archived(pack, records)
    if problem is not None:
        # Every refusal names what was asked and the rule that refused it (its words and articles).
        problem = _naming(problem, actions, rule, pack, application.requester_type)
        raise _refuse("access.request", actor, problem, context, obj=refused, requester=application.requester_name,
                      actions=sorted(actions), records=sorted(application.record_ids))
    marked = any(r.confidentiality or (r.case and _case_marked(r.case)) for r in records)
    steps = rules.approval_steps(rule, pack, copies_marked=marked and bool(actions & rules.COPY_ACTIONS))
    now = timezone.now()
    with transaction.atomic():
        access = AccessRequest.objects.create(
            agency=agency, case=case, requester_type=application.requester_type,
            requester_user=application.requester_user, requester_name=application.requester_name,
            requester_unit=application.requester_unit, requester_id_number=application.requester_id_number,
            purpose=application.purpose, reason=application.reason, actions=sorted(actions),
            plays=bool(actions & rules.PLAY_ACTIONS), copies=bool(actions & rules.COPY_ACTIONS),
            credentials=application.credentials, credentials_verified=application.credentials_verified,
            rule_id=rule.id, cites="、".join(rule.cite), steps=steps, valid_from=now,
            valid_until=application.valid_until, handled_by=actor, pack_version=pack.version, submitted_at=now,
            status=AccessRequest.Status.PENDING if steps else AccessRequest.Status.GRANTED,
            decided_at=None if steps else now)
        access.records.set(records)
        record_event("access.request", actor=actor, obj=access, context=context, after=_summary(access, records))
        if not steps:
            record_event("access.grant", actor=actor, obj=access, context=context,
                         detail={"rule": rule.id, "cite": access.cites, "until": access.valid_until.isoformat()})
    return access


def action_labels(actions) -> str:
    return "、".join(str(label) for label in _action_names(actions))


def _action_names(actions) -> list:
    """The actions' names in the order the vocabulary lists them, as lazy translations (kept as message ids)."""
    labels = dict(AccessAction.choices)
    return [labels[a] for a in AccessAction.values if a in set(actions)]


def _naming(problem: Any, actions: Iterable[str], rule, pack, requester_type: str) -> Wording:
    """The refusal with the actions asked and the rule it was judged under; before a rule is found, the rules for
    this requester type."""
    if rule is not None:
        basis: Any = f"{rule.label}（{law(rule.cite)}）"
    else:
        cites = [c for r in rules.rules_for(pack, requester_type) for c in r.cite]
        basis = law(list(dict.fromkeys(cites))) if cites else gettext_lazy("no rule of the agency covers this "
                                                                            "requester")
    return _asked(problem, actions, basis)


def _asked(problem: Any, actions: Iterable[str], basis: Any) -> Wording:
    return Wording(gettext_noop("%(problem)s Asked: %(actions)s; rule: %(rule)s."), problem=problem,
                   actions=_action_names(actions) or "—", rule=basis)


def _no_rule(pack, agency, application: Application, actions: set[str]) -> Wording:
    """Why no rule covers the request: which action the requester may not take, or that the actions asked belong
    to different rules."""
    kind = dict(RequesterType.choices).get(application.requester_type, application.requester_type)
    if not rules.rules_for(pack, application.requester_type):
        return Wording(gettext_noop("%(agency)s's rules give a %(type)s no access to records."), agency=agency.name,
                       type=kind)
    refused = rules.refused_actions(pack, application.requester_type, actions, application.purpose)
    if refused:
        return Wording(gettext_noop("%(agency)s's rules do not let a %(type)s %(actions)s for the purpose "
                                    "“%(purpose)s”."), agency=agency.name, type=kind,
                       actions=_action_names(refused),
                       purpose=dict(AccessPurpose.choices).get(application.purpose, application.purpose))
    return Wording(gettext_noop("%(actions)s fall under different rules for a %(type)s: file one request for each."),
                   actions=_action_names(actions), type=kind)


def admitted_items(actor: User, case, requester_type: str, actions: list[str], purpose: str) -> list[int]:
    """Every record of the case that the rule for this request admits: what "the whole case" means for it."""
    pack = current.in_force(case.agency)
    rule = rules.matching_rule(pack, requester_type, set(actions), purpose)
    if rule is None:
        return []
    return list(visible_records(actor).filter(case=case).filter(rules.scope_condition(rule.scope))
                .values_list("pk", flat=True))


def _check_requester(application: Application, actor: User, pack) -> Any:
    staff = application.requester_type in rules.STAFF_REQUESTERS
    if staff:
        person = application.requester_user
        if person is None or person.agency_id != actor.agency_id:
            return gettext_lazy("A staff request must name a staff member of this agency.")
        if person != actor and not can(actor, "access.file_for_others"):
            return gettext_lazy("Staff file their own requests; the archivist may file for others.")
        return None
    if application.requester_user is not None:
        return gettext_lazy("An outside requester has no account here; the archivist files the request for them.")
    if not can(actor, "access.file_for_others"):
        return gettext_lazy("Requests from outside the agency are filed by the archivist, who checks the papers.")
    if not application.requester_name.strip() or not application.requester_unit.strip():
        return gettext_lazy("Give the requester's name and unit.")
    return None


def _check_case_officer(application: Application, records: list, case) -> tuple[Any, object]:
    """Only an actual handler of the records' case asks as its case officer (000/1/4, 001/4/3), whose rule may
    grant at once; anyone else asks as who they are, through that type's approvals. Returns the problem and the
    case or record it concerns."""
    if application.requester_type != RequesterType.CASE_OFFICER:
        return None, None
    handled = scopes.scoped("cases.case", application.requester_user, "handle")
    if case is not None and not handled.filter(pk=case.pk).exists():
        return gettext_lazy("Only a handler of the case may ask as its case officer; ask as other staff."), case
    outside = [r for r in records if r.case_id is None]
    outside += Record.objects.filter(pk__in=[r.pk for r in records if r.case_id]).exclude(case__in=handled)
    if outside:
        return Wording(gettext_noop("%(record)s is not a record of a case you handle: only its handlers ask as case "
                                    "officers; ask as other staff."), record=str(outside[0])), outside[0]
    return None, None


def _check_rule(application: Application, rule, pack, case) -> Any:
    # The rule and its articles are named once, after the problem (``_naming``).
    if not application.reason.strip():
        return gettext_lazy("State the reason for the request.")
    if rule.special_reason_required and len(application.reason.strip()) < 10:
        return gettext_lazy("A special reason is required and must be stated in full.")
    given = {c.get("kind"): (c.get("reference") or "").strip() for c in application.credentials}
    labels = dict(Credential.choices)
    missing = [labels[c] for c in rules.required_credentials(rule, application.requester_type) if not given.get(c)]
    if missing:
        return Wording(gettext_noop("Missing credentials: %(missing)s."), missing=missing)
    if rule.verify_credentials and not application.credentials_verified:
        return gettext_lazy("The credentials must be checked against the originals before the request is filed.")
    now = timezone.now()
    if application.valid_until <= now:
        return gettext_lazy("The end of the access period must be in the future.")
    longest = rules_of_pack.number(pack, "access_grant_max_days")
    if application.valid_until > now + dt.timedelta(days=longest):
        return Wording(gettext_noop("An access period may last at most %(days)d days."), days=longest)
    return None


def _check_items(application: Application, rule, records: list, case) -> Any:
    if not records:
        return gettext_lazy("Choose at least one record.")
    if len(records) != len(set(application.record_ids)):
        return gettext_lazy("Some of the chosen records were not found.")
    if case is not None and any(r.case_id != case.pk for r in records):
        return gettext_lazy("Every item must belong to the chosen case.")
    admitted = set(Record.objects.filter(pk__in=[r.pk for r in records]).filter(rules.scope_condition(rule.scope))
                   .values_list("pk", flat=True))
    outside = [r for r in records if r.pk not in admitted]
    if outside:
        return Wording(gettext_noop("Outside what this requester may see (%(scope)s): %(items)s."),
                       scope=dict(AccessScope.choices)[rule.scope], items="、".join(r.shown_name for r in outside))
    return None


def _check_archived(pack, records: list) -> Any:
    """001/4/10: materials of a case not yet archived are outside the access procedure (they are still in use)."""
    exclusion = rules.unarchived_excluded(pack)
    if exclusion is not None and any(r.case is not None and r.case.archived_on is None for r in records):
        return Wording(gettext_noop("%(label)s (%(cite)s): only archived cases are released through this procedure."),
                       label=exclusion.label, cite=law(exclusion.cite))
    return None


def _case_marked(case) -> bool:
    return case.state_secret or case.commercial_secret or case.personal_privacy


def _summary(access: AccessRequest, records: Iterable) -> dict:
    return {"requester_type": access.requester_type, "requester": access.requester_name,
            "unit": access.requester_unit, "purpose": access.purpose, "actions": access.actions,
            "credentials": access.credentials, "credentials_verified": access.credentials_verified,
            "rule": access.rule_id, "cite": access.cites, "steps": access.steps,
            "records": sorted(r.pk for r in records), "until": access.valid_until.isoformat()}


def next_step(access: AccessRequest) -> tuple[int, dict] | None:
    if access.status != AccessRequest.Status.PENDING:
        return None
    done = access.decisions.count()
    return (done, access.steps[done]) if done < len(access.steps) else None


def can_decide(user: User, access: AccessRequest) -> bool:
    step = next_step(access)
    return step is not None and _decision_problem(user, access, step[1]) is None


def _decision_problem(user: User, access: AccessRequest, step: dict) -> Any:
    if user.agency_id != access.agency_id:
        return gettext_lazy("This request belongs to another agency.")
    if office_role(step["role"]) not in user.role_set:
        return Wording(gettext_noop("This step is for the %(role)s."), role=dict(Approver.choices)[step["role"]])
    if user.pk in (access.requester_user_id, access.handled_by_id):
        return gettext_lazy("Nobody decides a request they filed or that was filed for them.")
    if access.decisions.filter(decided_by=user).exists():
        return gettext_lazy("You already decided an earlier step of this request; the next step needs someone else.")
    return None


def decide(access: AccessRequest, *, actor: User, approve: bool, comment: str = "",
           context: RequestContext = SYSTEM) -> AccessRequest:
    """Decide the next step. The request row is locked, so two approvers cannot both decide the same step."""
    verb = "access.approve" if approve else "access.reject"
    if not approve and not comment.strip():
        raise _refuse(verb, actor, gettext_lazy("Say why the request is rejected."), context, obj=access)
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=access.pk)
        step = next_step(locked)
        problem = gettext_lazy("This request is no longer awaiting a decision.") if step is None else \
            _decision_problem(actor, locked, step[1])
        if problem is None:
            index, spec = step
            ApprovalDecision.objects.create(request=locked, step=index, role=spec["role"], kind=spec["kind"],
                                            approved=approve, comment=comment.strip(), decided_by=actor)
            record_event(verb, actor=actor, obj=locked, context=context,
                         detail={"step": index, "role": spec["role"], "kind": spec["kind"], "comment": comment})
            if not approve:
                _close(locked, AccessRequest.Status.REJECTED)
            elif index + 1 == len(locked.steps):
                _close(locked, AccessRequest.Status.GRANTED)
                record_event("access.grant", actor=actor, obj=locked, context=context,
                             detail={"rule": locked.rule_id, "cite": locked.cites,
                                     "until": locked.valid_until.isoformat()})
            return locked
    raise _refuse(verb, actor, _asked(problem, access.actions, law(access.cites)), context, obj=access)


def _close(access: AccessRequest, status: str) -> None:
    access.status = status
    access.decided_at = timezone.now()
    access.save(update_fields=["status", "decided_at"])


def revoke(access: AccessRequest, *, actor: User, reason: str, context: RequestContext = SYSTEM) -> AccessRequest:
    """End a grant now; streams under it stop at their next request."""
    if not can(actor, "access.revoke") or actor.agency_id != access.agency_id:
        raise _refuse("access.revoke", actor, gettext_lazy("Only the archivist or the head may revoke a grant."),
                      context, obj=access)
    if not reason.strip():
        raise _refuse("access.revoke", actor, gettext_lazy("Say why the grant is revoked."), context, obj=access)
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=access.pk)
        if locked.status not in (AccessRequest.Status.GRANTED, AccessRequest.Status.PENDING):
            raise AccessRefused(gettext_lazy("This request is already closed."))
        _close(locked, AccessRequest.Status.REVOKED)
        record_event("access.revoke", actor=actor, obj=locked, context=context, detail={"reason": reason})
    return locked


def expire_due(now: dt.datetime | None = None) -> int:
    """Grants past their end become expired, each with its event."""
    now = now or timezone.now()
    count = 0
    for access in AccessRequest.objects.filter(status=AccessRequest.Status.GRANTED, valid_until__lt=now):
        with transaction.atomic():
            _close(access, AccessRequest.Status.EXPIRED)
            record_event("access.expire", obj=access, detail={"until": access.valid_until.isoformat()})
        count += 1
    return count


def copyable_items(access: AccessRequest, user: User) -> list:
    """The request's items the user may copy out now (the registry decides, not the request row)."""
    if not access.is_active() or not access.copies:
        return []
    allowed = visible_records(user, "copy").filter(pk__in=access.records.values("pk"))
    return list(allowed.select_related("blob", "device", "officer", "unit", "case").order_by("recorded_start", "pk"))


def record_fee(access: AccessRequest, amount, *, actor: User, context: RequestContext = SYSTEM) -> None:
    """The copying cost charged to the requester (000/1/11, 001/4/11); viewing is never charged."""
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=access.pk)
        before = {"fee_yuan": str(locked.fee_yuan) if locked.fee_yuan is not None else None}
        locked.fee_yuan = (locked.fee_yuan or 0) + amount
        locked.save(update_fields=["fee_yuan"])
        record_event("access.fee", actor=actor, obj=locked, context=context, before=before,
                     after={"fee_yuan": str(locked.fee_yuan)}, detail={"charged": str(amount)})


def record_verification(name: str, passed: bool, failures: int, *, actor: User,
                        context: RequestContext = SYSTEM) -> None:
    with transaction.atomic():
        record_event("package.verify", actor=actor, context=context,
                     detail={"file": name, "passed": passed, "failures": failures})
