"""Pages of accountability (000/2/18, 001/3/17-18, 004/24): supervisors and heads see the agency's cases, an officer
their own."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from authz.capabilities import can
from authz.routes import route
from lawtrace.pages import history, paginate
from lawtrace.params import object_id
from ledger.events import RequestContext
from supervision import accountability
from supervision.forms import DecideForm, MisconductForm
from supervision.models import MisconductCase, RecordReview
from supervision.queries import visible_misconduct, visible_rounds
from supervision.refusals import Refused


@route("misconduct.view", post="misconduct.open")
def misconduct_list(request: HttpRequest) -> HttpResponse:
    agency = request.user.agency
    can_open = can(request.user, "misconduct.open")
    review = None
    if review_pk := object_id(request.GET.get("review") or request.POST.get("review")):
        review = RecordReview.objects.filter(round__in=visible_rounds(request.user), pk=review_pk).first()
    initial = {"officer": review.officer_id, "facts": review.remarks} if review else None
    if request.GET.get("finding"):
        initial = {"finding_id": object_id(request.GET["finding"]), "officer": object_id(request.GET.get("officer"))}
    search = request.GET.get("finding_q", "").strip()
    form = MisconductForm(request.POST or None, user=request.user, initial=initial,
                          finding_search=search) if can_open else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            made = accountability.open_case(
                agency, officer=data["officer"], misconduct=data["misconduct"], facts=data["facts"],
                review=review, finding_id=data["finding_id"].pk if data["finding_id"] else None, actor=request.user,
                context=RequestContext.from_request(request))
        except Refused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Misconduct case opened."))
            return redirect("misconduct_detail", made.pk)
    listed = visible_misconduct(request.user).select_related("officer", "decided_by")
    if state := request.GET.get("state"):
        listed = listed.filter(state=state)
    page, query = paginate(request, listed)
    return render(request, "supervision/misconduct_list.html", {
        "page": page, "query": query, "form": form, "review": review, "states": MisconductCase.State.choices,
        "own_only": not can_open, "finding_search": search})


@route("misconduct.view", post="misconduct.decide", on="supervision.misconductcase")
def misconduct_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agency = request.user.agency
    case = get_object_or_404(visible_misconduct(request.user).select_related("officer", "opened_by", "decided_by"),
                             pk=pk)
    can_decide = (can(request.user, "misconduct.decide") and case.state == MisconductCase.State.OPEN
                  and case.officer_id != request.user.pk)
    form = None
    if can_decide:
        form = DecideForm(request.POST or None, agency=agency, initial={"decided_on": timezone.localdate()})
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            accountability.decide_case(case, actor=request.user, sanctions=data["sanctions"],
                                       decision=data["decision"], decided_on=data["decided_on"],
                                       dismiss=data["dismiss"], context=RequestContext.from_request(request))
        except Refused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Misconduct decision recorded."))
            return redirect("misconduct_detail", case.pk)
    # The officer concerned sees the case, not necessarily the review round it came from.
    round_visible = case.review is not None and visible_rounds(request.user).filter(pk=case.review.round_id).exists()
    return render(request, "supervision/misconduct_detail.html", {
        "case": case, "form": form, "events": history(request, case), "round_visible": round_visible})
