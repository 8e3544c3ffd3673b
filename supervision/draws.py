"""Double-random draws by commit and reveal (R12): before the draw the ledger holds the seed's hash and digests of
the registry, the officers and the conflicts; at the draw the seed is revealed and anyone can re-run
``lawtrace_verify.draw.draw`` on the published lists to get the same targets and officers."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lawtrace_verify import draw as algorithm

from ledger.events import SYSTEM, RequestContext, record_event
from org.models import User
from org.roles import Role
from policy.registry import registry
from supervision.models import Conflict, Draw, InspectionTarget
from supervision.refusals import Refused, refuse

DRAWERS = frozenset({Role.SUPERVISOR, Role.HEAD})


DrawRefused = Refused


def _lists(agency) -> dict:
    from org.services import qualified_officers

    targets = sorted(InspectionTarget.objects.filter(agency=agency, active=True).values_list("credit_code", flat=True))
    officers = sorted(u.staff_number for u in qualified_officers(agency, timezone.localdate()))
    conflicts = sorted([t, o] for t, o in Conflict.objects.filter(target__agency=agency).values_list(
        "target__credit_code", "officer__staff_number"))
    return {"targets": targets, "officers": officers, "conflicts": conflicts}


def _digests(lists: dict) -> dict:
    return {"targets": algorithm.digest(lists["targets"]), "officers": algorithm.digest(lists["officers"]),
            "conflicts": algorithm.digest(["\t".join(c) for c in lists["conflicts"]])}


def commit(agency, *, plan_id: str, period: str, inspect_on: dt.datetime, actor: User,
           context: RequestContext = SYSTEM) -> Draw:
    pack = registry().in_force(agency.pack_code)
    plans = {p.id: p for p in (pack.random_inspection.plans if pack.random_inspection else [])}
    problem = None
    if not actor.role_set & DRAWERS or actor.agency_id != agency.pk:
        problem = _("Draws are made by the supervisor or the head.")
    elif plan_id not in plans:
        problem = _("The agency's rules have no such inspection plan.")
    elif not period.strip():
        problem = _("Name the period of the draw (e.g. 2026 Q4).")
    lists = _lists(agency)
    if problem is None and not lists["targets"]:
        problem = _("The registry of inspection targets is empty; import it first.")
    if problem is None and len(lists["officers"]) < settings.DRAW_OFFICERS_PER_TARGET:
        problem = _("Too few qualified officers with a staff number to draw from.")
    if problem is not None:
        refuse("draw.commit", problem, actor=actor, context=context)
    plan = plans[plan_id]
    seed = secrets.token_hex(32)
    with transaction.atomic():
        made = Draw.objects.create(
            agency=agency, plan_id=plan.id, plan_name=plan.name, cites="、".join(plan.cite), period=period.strip(),
            share=plan.share, per_target=settings.DRAW_OFFICERS_PER_TARGET, inspect_on=inspect_on, seed=seed,
            seed_hash=algorithm.seed_hash(seed), inputs=lists, digests=_digests(lists), committed_by=actor,
            committed_at=timezone.now())
        record_event("draw.commit", actor=actor, obj=made, context=context,
                     after={"seed_hash": made.seed_hash, "digests": made.digests, "plan": plan.id,
                            "share": plan.share, "per_target": made.per_target, "period": made.period})
    return made


def perform(made: Draw, *, actor: User, context: RequestContext = SYSTEM) -> Draw:
    """Reveal the seed and draw, provided nothing changed since the commitment; drawn inspections become
    activities assigned to the drawn officers."""
    with transaction.atomic():
        locked = Draw.objects.select_for_update().get(pk=made.pk)
        problem = None
        if not actor.role_set & DRAWERS or actor.agency_id != locked.agency_id:
            problem = _("Draws are made by the supervisor or the head.")
        elif locked.state != Draw.State.COMMITTED:
            problem = _("This draw was already made.")
        elif _digests(_lists(locked.agency)) != locked.digests:
            problem = _("The registry, the officers or the conflicts changed after the commitment; commit a new "
                        "draw.")
        if problem is None:
            inputs = locked.inputs
            locked.result = algorithm.draw(locked.seed, inputs["targets"], inputs["officers"], locked.share,
                                           locked.per_target, inputs["conflicts"])
            locked.state, locked.drawn_by, locked.drawn_at = Draw.State.DRAWN, actor, timezone.now()
            locked.save(update_fields=["result", "state", "drawn_by", "drawn_at"])
            record_event("draw.reveal", actor=actor, obj=locked, context=context,
                         after={"seed": locked.seed, "result": locked.result})
            _plan_inspections(locked, actor, context)
            return locked
    refuse("draw.reveal", problem, actor=actor, obj=made, context=context)


def _plan_inspections(made: Draw, actor: User, context: RequestContext) -> None:
    from cases.services import create_activity

    pack = registry().in_force(made.agency.pack_code)
    plan = next(p for p in pack.random_inspection.plans if p.id == made.plan_id)
    if plan.stage is None:
        return
    targets = {t.credit_code: t for t in InspectionTarget.objects.filter(agency=made.agency)}
    people = {u.staff_number: u for u in User.objects.filter(agency=made.agency)}
    for code, officers in made.result["assignments"].items():
        target = targets[code]
        create_activity(made.agency, {
            "category": "inspection", "stage": plan.stage, "place": target.address or target.name,
            "planned_start": made.inspect_on, "planned_end": made.inspect_on + dt.timedelta(hours=2),
            "description": f"{made.plan_name}（{made.period}）：{target}",
        }, [people[o] for o in officers], [], actor=actor, context=context)


def check(made: Draw, seed: str) -> bool:
    """Whether ``seed`` is the committed one and re-running the draw with it gives the recorded result."""
    if algorithm.seed_hash(seed) != made.seed_hash or made.result is None:
        return False
    inputs = made.inputs
    return algorithm.draw(seed, inputs["targets"], inputs["officers"], made.share, made.per_target,
                          inputs["conflicts"]) == made.result
