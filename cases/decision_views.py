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
from cases.models import Case, Decision
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
    decision = get_object_or_404(_decisions(request), pk=pk)
    review = decision.reviews.filter(reviewed_at__isnull=True).first()
    return render(request, "cases/decision_detail.html", {
        "decision": decision, "reviews": decision.reviews.select_related("submitted_by", "reviewer"),
        "materials": decisions.materials_needed(decision), "points": decisions.points_to_review(decision),
        "open_review": review, "reviewers": decisions.reviewers(decision) if review is not None else [],
        "gate": decisions.gate(decision) if decision.state != Decision.State.FINAL else [],
        "can_review": review is not None and can(request.user, "decision.review"),
        "can_finalise": can(request.user, "decision.finalise") and decision.state != Decision.State.FINAL,
        "can_submit": can(request.user, "decision.draft") and decision.review_required
        and decision.state in (Decision.State.DRAFT, Decision.State.REVIEW_FAILED),
        "events": history(request, decision),
    })


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
    materials = {name: request.POST.get(f"material-{index}", "")
                 for index, name in enumerate(decisions.materials_needed(decision))}
    return _done(request, decision, lambda: decisions.submit_for_review(
        decision, materials, actor=request.user, context=RequestContext.from_request(request)),
        _("Submitted for legal review."))


@route("decision.review", methods=("POST",), on="cases.decision")
def decision_review(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(_decisions(request), pk=pk)
    review = decision.reviews.filter(reviewed_at__isnull=True).first()
    if review is None:
        messages.error(request, _("No legal review of this decision is waiting."))
        return redirect("decision_detail", decision.pk)
    findings = [{"point": point, "finding": request.POST.get(f"finding-{index}", "").strip(),
                 "ok": request.POST.get(f"ok-{index}") == "on"}
                for index, point in enumerate(decisions.points_to_review(decision))]
    return _done(request, decision, lambda: decisions.record_review(
        review, findings, passed=request.POST.get("conclusion") == "pass", opinion=request.POST.get("opinion", ""),
        actor=request.user, context=RequestContext.from_request(request)), _("Legal review recorded."))


@route("decision.finalise", methods=("POST",), on="cases.decision")
def decision_finalise(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(_decisions(request), pk=pk)
    return _done(request, decision, lambda: decisions.finalise(
        decision, actor=request.user, context=RequestContext.from_request(request)), _("Decision finalised."))
