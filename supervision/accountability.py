"""Accountability (000/2/18, 000/1/12, 001/3/17-18, 004/24): misconduct cases of the pack's list, decided
with the pack's sanctions by the head; the officer concerned sees their own."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from authz.capabilities import can
from compliance.queries import visible_findings
from ledger.events import SYSTEM, RequestContext, record_event
from ledger.wording import Wording, Words
from org.models import User
from policy import current
from supervision.models import MisconductCase, RecordReview
from supervision.refusals import refuse


def _accountability(agency):
    return current.in_force(agency).accountability


def open_case(agency, *, officer: User, misconduct: str, facts: str, actor: User, review: RecordReview | None = None,
              finding_id: int | None = None, context: RequestContext = SYSTEM) -> MisconductCase:
    kinds = {m.id: m for m in _accountability(agency).misconduct}
    problem: Words | None = None
    if not can(actor, "misconduct.open") or actor.agency_id != agency.pk:
        problem = gettext_lazy("Misconduct cases are opened by the supervisor or the head.")
    elif officer.agency_id != agency.pk:
        problem = gettext_lazy("The officer concerned must be of the agency.")
    elif officer.pk == actor.pk:
        problem = gettext_lazy("Nobody opens a misconduct case on themselves.")
    elif misconduct not in kinds:
        problem = gettext_lazy("Choose a misconduct from the agency's rules.")
    elif not facts.strip():
        problem = gettext_lazy("State the facts.")
    elif review is not None and review.round.agency_id != agency.pk:
        problem = gettext_lazy("That review is not of the agency.")
    elif finding_id is not None and not visible_findings(actor).filter(pk=finding_id).exists():
        problem = gettext_lazy("No such compliance finding.")
    if problem is not None:
        refuse("misconduct.open", problem, actor=actor, context=context)
    kind = kinds[misconduct]
    with transaction.atomic():
        made = MisconductCase.objects.create(
            agency=agency, officer=officer, misconduct=kind.id, misconduct_label=kind.label,
            misconduct_cite="、".join(kind.cite), facts=facts.strip(), review=review, finding_id=finding_id,
            opened_by=actor, opened_at=timezone.now())
        record_event("misconduct.open", actor=actor, obj=made, context=context, after={
            "officer": officer.pk, "misconduct": kind.id, "cite": made.misconduct_cite, "facts": made.facts,
            "review": review.pk if review else None, "finding": finding_id})
    return made


def decide_case(case: MisconductCase, *, actor: User, sanctions: list[str], decision: str, decided_on: dt.date,
                dismiss: bool = False, context: RequestContext = SYSTEM) -> MisconductCase:
    """Decide a case with the pack's sanctions, or dismiss it; either way the reasons are written down."""
    available = {s.id: s for s in _accountability(case.agency).sanctions}
    problem: Words | None = None
    if not can(actor, "misconduct.decide") or actor.agency_id != case.agency_id:
        problem = gettext_lazy("Misconduct cases are decided by the head.")
    elif actor.pk == case.officer_id:
        problem = gettext_lazy("Nobody decides a misconduct case on themselves.")
    elif case.state != MisconductCase.State.OPEN:
        problem = gettext_lazy("This case is already decided.")
    elif not decision.strip():
        problem = gettext_lazy("Write the decision and its reasons.")
    elif decided_on > timezone.localdate():
        problem = gettext_lazy("The decision date cannot be in the future.")
    elif not dismiss and not sanctions:
        problem = gettext_lazy("Choose at least one sanction, or dismiss the case.")
    elif dismiss and sanctions:
        problem = gettext_lazy("A dismissed case carries no sanction.")
    elif unknown := set(sanctions) - set(available):
        problem = Wording(gettext_noop("Not a sanction of the agency's rules: %(s)s."), s="、".join(sorted(unknown)))
    if problem is not None:
        refuse("misconduct.decide", problem, actor=actor, obj=case, context=context)
    chosen = [{"id": s, "label": available[s].label, "cite": "、".join(available[s].cite),
               "severity": available[s].severity} for s in sanctions]
    with transaction.atomic():
        locked = MisconductCase.objects.select_for_update().get(pk=case.pk)
        if locked.state == MisconductCase.State.OPEN:  # nobody decided it while this form was open
            locked.state = MisconductCase.State.DISMISSED if dismiss else MisconductCase.State.DECIDED
            locked.sanctions, locked.decision, locked.decided_on, locked.decided_by = (
                chosen, decision.strip(), decided_on, actor)
            locked.save(update_fields=["state", "sanctions", "decision", "decided_on", "decided_by"])
            record_event("misconduct.decide", actor=actor, obj=locked, context=context, after={
                "state": locked.state, "sanctions": [s["id"] for s in chosen], "decision": locked.decision,
                "decided_on": str(decided_on)})
            return locked
    refuse("misconduct.decide", gettext_lazy("This case is already decided."), actor=actor, obj=case, context=context)
