"""Double-random draws by commit and reveal (002 附件3, 001/1): before the draw the ledger holds the seed's hash and
digests of the registry, the officers and the conflicts; at the draw the seed is revealed and anyone can re-run
``lawtrace_verify.draw.draw`` on the published lists to get the same targets and officers."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop
from lawtrace_verify import draw as algorithm

from authz.capabilities import can
from cases.services import create_activity
from ledger.events import SYSTEM, RequestContext, record_event
from ledger.wording import Wording, Words
from org.models import User
from org.services import qualified_officers
from policy import current, rules
from policy.citations import law
from supervision.models import Conflict, Draw, InspectionTarget
from supervision.refusals import Refused, refuse

DrawRefused = Refused


def _lists(agency) -> dict:
    targets = sorted(InspectionTarget.objects.filter(agency=agency, active=True).values_list("credit_code", flat=True))
    officers = sorted(u.staff_number for u in qualified_officers(agency, timezone.localdate()))
    conflicts = sorted([t, o] for t, o in Conflict.objects.filter(target__agency=agency).values_list(
        "target__credit_code", "officer__staff_number"))
    return {"targets": targets, "officers": officers, "conflicts": conflicts}


def _digests(lists: dict) -> dict:
    return {"targets": algorithm.digest(lists["targets"]), "officers": algorithm.digest(lists["officers"]),
            "conflicts": algorithm.digest(["\t".join(c) for c in lists["conflicts"]])}


@dataclass
class Session:
    """When and by whom the draw is made, for plans whose draw session must be recorded (001/1)."""

    starts_at: dt.datetime
    officers: list[User]


def _problem(agency, plan, share: float | None, session: Session | None, actor: User, period: str) -> Words | None:
    if not can(actor, "draw.make") or actor.agency_id != agency.pk:
        return gettext_lazy("Draws are made by the supervisor or the head.")
    if plan is None:
        return gettext_lazy("The agency's rules have no such inspection plan.")
    if not period.strip():
        return gettext_lazy("Name the period of the draw (e.g. 2026 Q4).")
    if plan.share is None and (share is None or not 0 < share <= 1):
        return gettext_lazy("The agency's rules set no share for this plan: give the share drawn, more than 0 % and at "
                            "most 100 %.")
    if plan.draw_stage and (session is None or not session.officers):
        return Wording(gettext_noop("The draw session must be recorded (%(cite)s): give its time and the officers "
                                    "who record it."), cite=law(plan.cite))
    return None


def commit(agency, *, plan_id: str, period: str, inspect_on: dt.datetime, actor: User, share: float | None = None,
           session: Session | None = None, context: RequestContext = SYSTEM) -> Draw:
    """Commit to the seed and the lists; a plan whose draw session must be recorded also plans that session as an
    activity of its own, so the compliance engine asks for its recording."""
    from django.core.exceptions import ValidationError

    pack = current.in_force(agency)
    plans = {p.id: p for p in (pack.random_inspection.plans if pack.random_inspection else [])}
    plan = plans.get(plan_id)
    problem = _problem(agency, plan, share, session, actor, period)
    lists = _lists(agency)
    if problem is None and not lists["targets"]:
        problem = gettext_lazy("The registry of inspection targets is empty; import it first.")
    per_target = rules.number(pack, "draw_officers_per_target")
    if problem is None and len(lists["officers"]) < per_target:
        problem = gettext_lazy("Too few qualified officers with a staff number to draw from.")
    if problem is None:
        seed = secrets.token_hex(32)
        drawn_share = plan.share if plan.share is not None else share
        try:
            with transaction.atomic():
                made = Draw.objects.create(
                    agency=agency, plan_id=plan.id, plan_name=plan.name, cites="、".join(plan.cite),
                    period=period.strip(), share=drawn_share, per_target=per_target,
                    inspect_on=inspect_on, seed=seed, seed_hash=algorithm.seed_hash(seed), inputs=lists,
                    digests=_digests(lists), committed_by=actor, committed_at=timezone.now(),
                    session=_plan_session(agency, pack, plan, period, session, actor, context))
                record_event("draw.commit", actor=actor, obj=made, context=context,
                             after={"seed_hash": made.seed_hash, "digests": made.digests, "plan": plan.id,
                                    "share": drawn_share, "per_target": made.per_target, "period": made.period,
                                    "session": made.session_id})
            return made
        except ValidationError as invalid:
            problem = "；".join(invalid.messages)
    refuse("draw.commit", problem, actor=actor, context=context)


def _plan_session(agency, pack, plan, period: str, session: Session | None, actor: User, context: RequestContext):
    if not plan.draw_stage:
        return None
    row = next(r for r in pack.checklist if r.id == plan.draw_stage)
    return create_activity(agency, {
        "category": row.categories[0].value, "stage": row.id, "place": row.place or plan.name,
        "planned_start": session.starts_at, "planned_end": session.starts_at + dt.timedelta(hours=1),
        "description": f"{plan.name}（{period.strip()}）：{row.requirement}",
    }, session.officers, [], actor=actor, context=context)


def perform(made: Draw, *, actor: User, context: RequestContext = SYSTEM) -> Draw:
    """Reveal the seed and draw, provided nothing changed since the commitment; drawn inspections become
    activities assigned to the drawn officers."""
    with transaction.atomic():
        locked = Draw.objects.select_for_update().get(pk=made.pk)
        problem: Words | None = None
        if not can(actor, "draw.make") or actor.agency_id != locked.agency_id:
            problem = gettext_lazy("Draws are made by the supervisor or the head.")
        elif locked.state != Draw.State.COMMITTED:
            problem = gettext_lazy("This draw was already made.")
        elif _digests(_lists(locked.agency)) != locked.digests:
            problem = gettext_lazy("The registry, the officers or the conflicts changed after the commitment; commit "
                                   "a new draw.")
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
    pack = current.in_force(made.agency)
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
