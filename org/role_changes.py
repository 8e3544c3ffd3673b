"""Changing someone's roles takes two administrators (三员分立, 等保 level 3).

The design: the system administrator, who keeps the accounts and knows who joined, moved or left, *asks* for a
role to be granted or withdrawn (an import's 角色 column asks too); the security administrator, who keeps the
permissions, *decides*, and only then does the change take effect. Each step is an event, the request names its
asker and the grant names its request, so every role held can be traced to two people's records. Neither can give
anyone power alone: the system administrator's request changes nothing, and the security administrator cannot grant
what nobody asked for. Withdrawing is the exception, in one direction only: the security administrator may withdraw
a role at once, with a reason on record, because waiting for a second person would leave access open that should be
closed; the system administrator's way to cut access at once is to deactivate the account.

Nobody asks for, decides on or withdraws their own roles, nor decides what they asked for. An administrator's role
is the account's only role; the database refuses the combination too (``org.separation``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from authz.capabilities import can
from authz.roles import ADMINS, Role
from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from org import administration
from org.models import RoleGrant, RoleRequest, User

SEPARATION = gettext_lazy("The system, security and audit administrators must be separate accounts with no other "
                          "role.")


class RoleChangeRefused(ValidationError):
    pass


def _refuse(verb: str, reason, *, actor: User | None, obj, context: RequestContext, **detail) -> None:
    record_denial(verb, actor=actor, obj=obj, context=context, detail={"reason": reason, **detail})
    raise RoleChangeRefused(reason)


def separation_problem(held: set[str], role: str):
    """Why holding ``role`` beside ``held`` breaks the separation of the three administrators, or None."""
    others = held - {role}
    if others and (role in ADMINS or others & ADMINS):
        return SEPARATION
    return None


def request_change(user: User, role: str, *, change: str = RoleRequest.Change.GRANT, reason: str = "",
                   actor: User | None, actor_label: str = "", context: RequestContext = SYSTEM) -> RoleRequest:
    """The system administrator asks for a role to be granted or withdrawn; nothing changes until it is decided.
    ``actor`` None is the installation's command line (``actor_label`` names the operating-system account)."""
    verb = "role.request"
    if role not in Role.values or change not in RoleRequest.Change.values:
        raise ValidationError({"role": gettext_lazy("Unknown role.")})
    if actor is not None and (not can(actor, "role.request")
                              or not administration.administers(actor, user.agency_id)):
        _refuse(verb, gettext_lazy("Only the system administrator asks for role changes."), actor=actor, obj=user,
                context=context, role=role)
    if actor is not None and actor.pk == user.pk:
        _refuse(verb, gettext_lazy("Nobody asks for a change of their own roles."), actor=actor, obj=user,
                context=context, role=role)
    held = set(user.role_grants.values_list("role", flat=True))
    if change == RoleRequest.Change.GRANT:
        if role in held:
            raise ValidationError(gettext_lazy("The account already holds this role."))
        pending = set(user.role_requests.filter(state=RoleRequest.State.PENDING, change=RoleRequest.Change.GRANT)
                      .values_list("role", flat=True))
        if (problem := separation_problem(held | pending, role)) is not None:
            _refuse(verb, problem, actor=actor, obj=user, context=context, role=role, held=sorted(held | pending))
    elif role not in held:
        raise ValidationError(gettext_lazy("The account does not hold this role."))
    if user.role_requests.filter(state=RoleRequest.State.PENDING, role=role).exists():
        raise ValidationError(gettext_lazy("A request for this role is already waiting."))
    with transaction.atomic():
        made = RoleRequest.objects.create(user=user, role=role, change=change, reason=reason.strip()[:200],
                                          requested_by=actor)
        record_event(verb, actor=actor, actor_label=actor_label, obj=user, context=context,
                     after={"role": role, "change": change, "reason": made.reason, "role_request": made.pk})
    return made


def decide(request: RoleRequest, *, approve: bool, note: str = "", actor: User,
           context: RequestContext = SYSTEM) -> RoleRequest:
    """The security administrator carries out or declines a request; a carried-out grant names its request."""
    verb = "role.approve" if approve else "role.decline"
    user = request.user
    if not can(actor, "role.assign") or not administration.administers(actor, user.agency_id):
        _refuse(verb, gettext_lazy("Only the security administrator decides on role changes."), actor=actor,
                obj=user, context=context, role_request=request.pk)
    if actor.pk in (user.pk, request.requested_by_id):
        _refuse(verb, gettext_lazy("Nobody decides on their own roles or on what they asked for."), actor=actor,
                obj=user, context=context, role_request=request.pk)
    if not approve and not note.strip():
        raise ValidationError({"note": gettext_lazy("Say why the request is declined.")})
    problem = None
    with transaction.atomic():
        locked = RoleRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != RoleRequest.State.PENDING:
            raise ValidationError(gettext_lazy("This request has already been decided."))
        person = User.objects.select_for_update().get(pk=user.pk)
        held = set(person.role_grants.values_list("role", flat=True))
        if approve and locked.change == RoleRequest.Change.GRANT:
            problem = separation_problem(held, locked.role)
        if problem is None:
            locked.state = RoleRequest.State.APPROVED if approve else RoleRequest.State.DECLINED
            locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note.strip()[:200]
            locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
            after = set(held)
            if approve and locked.change == RoleRequest.Change.GRANT:
                RoleGrant.objects.get_or_create(user=person, role=locked.role, defaults={"request": locked})
                after.add(locked.role)
            elif approve:
                RoleGrant.objects.filter(user=person, role=locked.role).delete()
                after.discard(locked.role)
            asked_by = locked.requested_by.get_username() if locked.requested_by else ""
            record_event(verb, actor=actor, obj=person, context=context,
                         before={"roles": sorted(held)}, after={"roles": sorted(after)},
                         detail={"role_request": locked.pk, "requested_by": asked_by, "note": locked.decision_note})
    if problem is not None:
        _refuse(verb, problem, actor=actor, obj=user, context=context, role_request=request.pk, held=sorted(held))
    user.__dict__.pop("_role_cache", None)
    return locked


def withdraw(user: User, role: str, *, reason: str, actor: User, context: RequestContext = SYSTEM) -> None:
    """The security administrator withdraws a role at once (see the module's note), with the reason on record."""
    verb = "role.revoke"
    if not can(actor, "role.assign") or not administration.administers(actor, user.agency_id):
        _refuse(verb, gettext_lazy("Only the security administrator withdraws roles."), actor=actor, obj=user,
                context=context, role=role)
    if actor.pk == user.pk:
        _refuse(verb, gettext_lazy("Nobody withdraws their own roles."), actor=actor, obj=user, context=context,
                role=role)
    if not reason.strip():
        raise ValidationError({"reason": gettext_lazy("Say why the role is withdrawn.")})
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=user.pk)
        held = set(person.role_grants.values_list("role", flat=True))
        if role not in held:
            raise ValidationError(gettext_lazy("The account does not hold this role."))
        RoleGrant.objects.filter(user=person, role=role).delete()
        # A waiting request to grant the same role again would undo the withdrawal unseen: it is closed with it.
        RoleRequest.objects.filter(user=person, role=role, state=RoleRequest.State.PENDING).update(
            state=RoleRequest.State.DECLINED, decided_by=actor, decided_at=timezone.now(),
            decision_note=reason.strip()[:200])
        record_event(verb, actor=actor, obj=person, context=context, before={"roles": sorted(held)},
                     after={"roles": sorted(held - {role})}, detail={"reason": reason.strip()[:200]})
    user.__dict__.pop("_role_cache", None)


def pending_for(actor: User):
    """The requests waiting for ``actor``'s decision: of the agencies the actor administers, not the actor's own."""
    return (RoleRequest.objects.filter(state=RoleRequest.State.PENDING,
                                       user__agency__in=administration.administered_agencies(actor))
            .exclude(user=actor).exclude(requested_by=actor)
            .select_related("user", "user__agency", "user__unit", "requested_by").order_by("requested_at", "pk"))


def unrecorded_grants_of(actor: User) -> list[RoleGrant]:
    agencies = set(administration.administered_agencies(actor).values_list("pk", flat=True))
    return [grant for grant in unrecorded_grants() if grant.user.agency_id in agencies]


def unrecorded_grants() -> list[RoleGrant]:
    """Roles held that no event put there: a grant written behind the application's back. Every grant made through
    the application is the ``after`` of a ``role.grant`` or ``role.approve`` event for its account; a row whose
    account has no such event naming its role is reported by name."""
    from ledger.queries import events_matching

    granted: dict[str, set[str]] = {}
    for event in events_matching(verbs=["role.grant", "role.approve"], object_type="org.user",
                                 result="done").select_related(None).only("object_id", "after"):
        granted.setdefault(event.object_id, set()).update((event.after or {}).get("roles", []))
    return [grant for grant in RoleGrant.objects.select_related("user").order_by("pk")
            if grant.role not in granted.get(str(grant.user_id), set())]
