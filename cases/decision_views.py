from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from authz.capabilities import can
from authz.routes import route
from cases import decisions
from cases.decision_forms import ReviewForm, SubmitForm
from cases.models import Case, Decision
from evidence.queries import visible_records
from lawtrace.pages import history
from ledger.events import RequestContext


class DraftForm(forms.ModelForm):
    class Meta:
        model = Decision
        fields = ["decision_type", "amount_yuan", "measures", "law_requires_review"]
        widgets = {"measures": forms.Textarea(attrs={"rows": 3})}
        labels = {"amount_yuan": gettext_lazy("amount (yuan)")}


def _decisions(request: HttpRequest):
    return Decision.objects.restrict(request.user).select_related("case__agency", "drafted_by", "finalised_by")


@route("decision.draft", on="cases.case", key="case_pk", action="draft")
def decision_create(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.restrict(request.user, "draft"), pk=case_pk)
    form = DraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            decision = decisions.draft(case, decision_type=data["decision_type"], amount_yuan=data["amount_yuan"],
                                       measures=data["measures"], law_requires_review=data["law_requires_review"],
                                       actor=request.user, context=RequestContext.from_request(request))
        except decisions.DecisionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Decision drafted."))
            return redirect("decision_detail", decision.pk)
    return render(request, "cases/decision_form.html", {"case": case, "form": form})


@route("case.view", on="cases.decision")
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(_decisions(request), pk=pk))


def _detail(request: HttpRequest, decision: Decision, submit_form: SubmitForm | None = None,
            review_form: ReviewForm | None = None, status: int = 200) -> HttpResponse:
    """The decision page; a refused form is shown again as typed, with its errors."""
    review = decision.reviews.filter(reviewed_at__isnull=True).first()
    can_submit = (can(request.user, "decision.draft") and decision.review_required
                  and decision.state in (Decision.State.DRAFT, Decision.State.REVIEW_FAILED))
    can_review = review is not None and can(request.user, "decision.review")
    if can_submit and submit_form is None:
        submit_form = _submit_form(request, decision)
    if can_review and review_form is None:
        review_form = ReviewForm(points=decisions.points_to_review(decision))
    return render(request, "cases/decision_detail.html", {
        "decision": decision, "reviews": [(r, decisions.materials_of(r)) for r in
                                          decision.reviews.select_related("submitted_by", "reviewer")],
        "open_review": review, "reviewers": decisions.reviewers(decision) if review is not None else [],
        "gate": decisions.gate(decision) if decision.state != Decision.State.FINAL else [],
        "can_review": can_review, "review_form": review_form if can_review else None,
        "can_finalise": can(request.user, "decision.finalise") and decision.state != Decision.State.FINAL,
        "can_submit": can_submit, "submit_form": submit_form if can_submit else None,
        "openable": set(visible_records(request.user, "play").filter(
            pk__in=decision.reviews.values("attached__record_id")).values_list("pk", flat=True)),
        "events": history(request, decision),
    }, status=status)


def _submit_form(request: HttpRequest, decision: Decision, data=None) -> SubmitForm:
    return SubmitForm(data, materials=decisions.materials_needed(decision),
                      records=decisions.attachable_records(decision, request.user))


def _done(request: HttpRequest, decision: Decision, call, success: str) -> HttpResponse:
    try:
        call()
    except decisions.DecisionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, success)
    return redirect("decision_detail", decision.pk)


@route("decision.draft", methods=("POST",), on="cases.decision")
def decision_submit(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(_decisions(request), pk=pk)
    form = _submit_form(request, decision, request.POST)
    if form.is_valid():
        try:
            decisions.submit_for_review(decision, form.references(), attached=form.attached(), actor=request.user,
                                        context=RequestContext.from_request(request))
        except decisions.DecisionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Submitted for legal review."))
            return redirect("decision_detail", decision.pk)
    return _detail(request, decision, submit_form=form)


@route("decision.review", methods=("POST",), on="cases.decision")
def decision_review(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(_decisions(request), pk=pk)
    review = decision.reviews.filter(reviewed_at__isnull=True).first()
    if review is None:
        messages.error(request, _("No legal review of this decision is waiting."))
        return redirect("decision_detail", decision.pk)
    form = ReviewForm(request.POST, points=decisions.points_to_review(decision))
    if form.is_valid():
        data = form.cleaned_data
        try:
            decisions.record_review(review, form.findings(), passed=data["conclusion"] == "pass",
                                    opinion=data["opinion"], actor=request.user,
                                    context=RequestContext.from_request(request))
        except decisions.DecisionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Legal review recorded."))
            return redirect("decision_detail", decision.pk)
    return _detail(request, decision, review_form=form)


@route("decision.finalise", methods=("POST",), on="cases.decision")
def decision_finalise(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(_decisions(request), pk=pk)
    return _done(request, decision, lambda: decisions.finalise(
        decision, actor=request.user, context=RequestContext.from_request(request)), _("Decision finalised."))
