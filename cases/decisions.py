"""Decisions and the legal-review gate (001/5, 002 附件2): the pack's catalogue decides whether review is required; a
decision is final only after a passed review where one is required and while no required recording is missing."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from authz.capabilities import can, holders
from authz.scopes import allowed
from cases.models import Case, Decision, LegalReview, ReviewMaterial
from compliance.labels import describe
from compliance.queries import open_findings_on_case
from evidence.queries import visible_records
from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from ledger.wording import Wording, Words
from org.models import User
from policy import current, rules


class DecisionRefused(Exception):
    """Refused, with the reason in words and the article where there is one."""


def required_items(case: Case, decision_type: str, amount: int | None, law_requires_review: bool) -> list[dict]:
    pack = current.version_of(case.agency, case.pack_version)
    facts = rules.Decision(category=case.category, decision_type=decision_type, party_kind=case.party_kind,
                           amount=amount, law_requires_review=law_requires_review)
    return [{"id": item.id, "item": item.item, "cite": "、".join(item.cite), "materials": item.materials,
             "review_points": item.review_points, "reviewed_by": item.reviewed_by or ""}
            for item in rules.legal_review_items(pack, facts)]


def _refuse(verb: str, actor: User, message: Any, context: RequestContext, obj=None) -> DecisionRefused:
    # A lazy translation or a Wording: the ledger keeps its message id (ledger.wording).
    record_denial(verb, actor=actor, obj=obj, context=context, detail={"reason": message})
    return DecisionRefused(message)


def draft(case: Case, *, decision_type: str, amount_yuan: int | None, measures: str, law_requires_review: bool,
          actor: User, context: RequestContext = SYSTEM) -> Decision:
    if not can(actor, "decision.draft") or not allowed(case, actor, "draft"):
        raise _refuse("decision.draft", actor,
                      gettext_lazy("Decisions are drafted by the case's officers or the head."), context, case)
    if not measures.strip():
        raise _refuse("decision.draft", actor, gettext_lazy("State the measures and the reasons."), context, case)
    items = required_items(case, decision_type, amount_yuan, law_requires_review)
    with transaction.atomic():
        decision = Decision.objects.create(
            case=case, decision_type=decision_type, amount_yuan=amount_yuan, measures=measures,
            law_requires_review=law_requires_review, required_items=items, drafted_by=actor,
            drafted_at=timezone.now(), pack_version=case.pack_version)
        record_event("decision.draft", actor=actor, obj=decision, context=context,
                     after={"case": case.pk, "decision_type": decision_type, "amount_yuan": amount_yuan,
                            "review_required_by": [i["id"] for i in items]})
    return decision


def materials_needed(decision: Decision) -> list[str]:
    return list(dict.fromkeys(m for item in decision.required_items for m in item["materials"]))


def points_to_review(decision: Decision) -> list[str]:
    points = list(dict.fromkeys(p for item in decision.required_items for p in item["review_points"]))
    return points or [_("Lawfulness of the decision as a whole")]


def reviewers(decision: Decision) -> list[User]:
    """Who can review the decision: the active holders of the review duty in its agency, other than its drafter."""
    return list(User.objects.filter(agency_id=decision.case.agency_id, is_active=True,
                                    role_grants__role__in=holders("decision.review", decision.case.agency))
                .exclude(pk=decision.drafted_by_id).distinct())


def attachable_records(decision: Decision, actor: User):
    """The records of the decision's case the submitter may attach as materials: those the choke point shows them."""
    return visible_records(actor).filter(case_id=decision.case_id).order_by("recorded_start", "pk")


def submit_for_review(decision: Decision, materials: dict[str, str], *, actor: User,
                      attached: dict[str, list[int]] | None = None,
                      context: RequestContext = SYSTEM) -> LegalReview:
    """``materials`` maps each material the catalogue lists to the reference of what is attached (a paper's number);
    ``attached`` to the records of the case that are that material, which the reviewer then opens in the system. A
    material needs a reference or a record."""
    attached = {name: list(dict.fromkeys(ids)) for name, ids in (attached or {}).items() if ids}
    needed = materials_needed(decision)
    missing = [m for m in needed if not (materials.get(m) or "").strip() and not attached.get(m)]
    wanted = {pk for ids in attached.values() for pk in ids}
    found = {r.pk: r for r in attachable_records(decision, actor).filter(pk__in=wanted)}
    problem: Words | None = None
    if not can(actor, "decision.draft") or not allowed(decision.case, actor, "draft"):
        problem = gettext_lazy("Decisions are submitted by the case's officers or the head.")
    elif decision.state not in (Decision.State.DRAFT, Decision.State.REVIEW_FAILED):
        problem = gettext_lazy("This decision is not a draft awaiting review.")
    elif not decision.review_required:
        problem = gettext_lazy("The catalogue does not require legal review of this decision.")
    elif missing:
        problem = Wording(gettext_noop("Attach the materials the catalogue lists: %(missing)s."),
                          missing="、".join(missing))
    elif set(attached) - set(needed):
        problem = gettext_lazy("Only the materials the catalogue lists are attached.")
    elif wanted - set(found):
        problem = gettext_lazy("Only records of this case that you may see are attached as materials.")
    elif not [person for person in reviewers(decision) if person.pk != actor.pk]:
        problem = gettext_lazy("Nobody in the agency holds the legal reviewer's duty besides the drafter and the "
                               "submitter: ask the system administrator to assign a legal reviewer, then submit "
                               "again.")
    if problem is not None:
        raise _refuse("decision.submit_review", actor, problem, context, decision)
    with transaction.atomic():
        review = LegalReview.objects.create(decision=decision, materials=materials, submitted_by=actor,
                                            submitted_at=timezone.now())
        ReviewMaterial.objects.bulk_create([ReviewMaterial(review=review, material=name, record=found[pk])
                                            for name, ids in attached.items() for pk in ids])
        Decision.objects.filter(pk=decision.pk).update(state=Decision.State.IN_REVIEW)
        # Records named, not numbered: the history shows what a person would name.
        record_event("decision.submit_review", actor=actor, obj=decision, context=context,
                     detail={"review": review.pk, "materials": materials,
                             "attached": {name: [found[pk].shown_name for pk in ids]
                                          for name, ids in attached.items()}})
    return review


def record_review(review: LegalReview, findings: list[dict], *, passed: bool, opinion: str, actor: User,
                  context: RequestContext = SYSTEM) -> LegalReview:
    """The legal reviewer's finding per review point and conclusion; never the drafter or the submitter."""
    decision = review.decision
    points = points_to_review(decision)
    problem: Words | None = None
    if not can(actor, "decision.review") or actor.agency_id != decision.case.agency_id:
        problem = gettext_lazy("Only the legal reviewer of the agency reviews decisions.")
    elif actor.pk in (decision.drafted_by_id, review.submitted_by_id):
        problem = gettext_lazy("Nobody reviews a decision they drafted or submitted.")
    elif [f.get("point") for f in findings] != points:
        problem = gettext_lazy("Give a finding for every review point.")
    elif wanting := [f["point"] for f in findings if not f.get("ok") and not (f.get("finding") or "").strip()]:
        problem = Wording(gettext_noop("Say what is wanting where a point does not meet the requirement: "
                                       "%(points)s."), points="；".join(wanting))
    elif passed and any(not f.get("ok") for f in findings):
        problem = gettext_lazy("A review cannot pass while a review point is found wanting.")
    elif not opinion.strip():
        problem = gettext_lazy("Write the review opinion.")
    if problem is not None:
        raise _refuse("decision.review", actor, problem, context, decision)
    with transaction.atomic():
        locked = LegalReview.objects.select_for_update().get(pk=review.pk)
        if locked.reviewed_at is not None:
            raise DecisionRefused(_("This review is already recorded."))
        locked.findings, locked.passed, locked.opinion = findings, passed, opinion
        locked.reviewer, locked.reviewed_at = actor, timezone.now()
        locked.save(update_fields=["findings", "passed", "opinion", "reviewer", "reviewed_at"])
        Decision.objects.filter(pk=decision.pk).update(
            state=Decision.State.REVIEW_PASSED if passed else Decision.State.REVIEW_FAILED)
        record_event("decision.review", actor=actor, obj=decision, context=context,
                     detail={"review": locked.pk, "passed": passed, "findings": findings, "opinion": opinion})
    return locked


def materials_of(review: LegalReview) -> list[dict]:
    """Each material the catalogue lists with what was submitted for it: the reference and the records attached."""
    attached: dict[str, list] = {}
    for item in review.attached.select_related("record").order_by("pk"):
        attached.setdefault(item.material, []).append(item.record)
    names = list(dict.fromkeys([*review.materials, *attached]))
    return [{"name": name, "reference": review.materials.get(name, ""), "records": attached.get(name, [])}
            for name in names]


def gate(decision: Decision) -> list[str]:
    """Why the decision may not be finalised now (empty when it may)."""
    reasons = []
    if decision.review_required and decision.state != Decision.State.REVIEW_PASSED:
        reasons.append(_("Legal review is required (%(cites)s) and has not passed.") % {
            "cites": "、".join(i["cite"] for i in decision.required_items)})
    open_findings = list(open_findings_on_case(decision.case_id))
    if open_findings:
        reasons.append(_("Required recordings of the case still have open compliance findings: %(items)s.") % {
            "items": "；".join(f"{f.activity}：{describe(f).rstrip('。.')}" for f in open_findings[:5])})
    return reasons


def finalise(decision: Decision, *, actor: User, context: RequestContext = SYSTEM) -> Decision:
    if not can(actor, "decision.finalise") or actor.agency_id != decision.case.agency_id:
        raise _refuse("decision.finalise", actor, gettext_lazy("The head finalises decisions."), context, decision)
    with transaction.atomic():
        locked = Decision.objects.select_for_update().get(pk=decision.pk)
        if locked.state == Decision.State.FINAL:
            raise DecisionRefused(_("This decision is already final."))
        reasons = gate(locked)
        if not reasons:
            locked.state, locked.finalised_by, locked.finalised_at = Decision.State.FINAL, actor, timezone.now()
            locked.save(update_fields=["state", "finalised_by", "finalised_at"])
            record_event("decision.finalise", actor=actor, obj=locked, context=context)
            return locked
    raise _refuse("decision.finalise", actor, " ".join(reasons), context, decision)
