"""Pages of the sampling checks and annual reviews (000/2/17); the work is done in ``supervision.reviews``."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from authz.capabilities import can
from authz.routes import may, route
from compliance.labels import decorate
from compliance.queries import open_findings_for
from evidence.queries import visible_records
from lawtrace.pages import history, paginate
from lawtrace.pdf import pdf_response, render_pdf
from ledger.events import RequestContext
from supervision import reviews
from supervision.forms import ReviewForm, RoundForm
from supervision.models import ReviewRound
from supervision.queries import visible_rounds
from supervision.refusals import Refused

ROUND = "supervision.reviewround"


def _round(request: HttpRequest, pk: int) -> ReviewRound:
    return get_object_or_404(visible_rounds(request.user), pk=pk)


@route("review.view", post="review.open")
def round_list(request: HttpRequest) -> HttpResponse:
    agency = request.user.agency
    can_open = can(request.user, "review.open")
    form = RoundForm(request.POST or None, user=request.user) if can_open else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        share = float(data["share_percent"]) / 100 if data["share_percent"] is not None else None
        wanted = reviews.RoundRequest(
            kind=data["kind"], title=data["title"], period_start=data["period_start"], period_end=data["period_end"],
            reviewers=list(data["reviewers"]), units=list(data["units"]), categories=data["categories"],
            share=share, count=data["count"])
        try:
            made = reviews.open_round(agency, wanted, actor=request.user, context=RequestContext.from_request(request))
        except Refused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Committed: the seed's hash and the population's digest are in the ledger. "
                                        "Draw the sample now or in front of witnesses."))
            return redirect("review_round", made.pk)
    listed = visible_rounds(request.user).select_related("opened_by")
    if kind := request.GET.get("kind"):
        listed = listed.filter(kind=kind)
    page, query = paginate(request, listed)
    return render(request, "supervision/round_list.html", {"page": page, "query": query, "form": form,
                                                            "kinds": ReviewRound.Kind.choices})


@route("review.view", on=ROUND)
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    made = _round(request, pk)
    sample = [int(i) for i in made.sample or []]
    records = {r.pk: r for r in visible_records(request.user).filter(pk__in=sample).select_related("officer")}
    done = {r.record_id: r for r in made.reviews.select_related("reviewer")}
    rows = [(records[i], done.get(i)) for i in sample if i in records]
    is_reviewer = made.reviewers.filter(pk=request.user.pk).exists()
    return render(request, "supervision/round_detail.html", {
        "round": made, "rows": rows, "hidden": len(sample) - len(rows), "reviewed": len(done),
        "can_manage": can(request.user, "review.open"), "is_reviewer": is_reviewer,
        "verified": reviews.check(made), "events": history(request, made),
        "max_score": reviews.MAX_SCORE})


def _act_on_round(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    """A button on the round page: run ``action(round, context)``; a refusal is shown, never a 500."""
    made = _round(request, pk)
    try:
        action(made, RequestContext.from_request(request))
    except Refused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, done)
    return redirect("review_round", made.pk)


@route("review.open", methods=("POST",), on=ROUND)
def round_draw(request: HttpRequest, pk: int) -> HttpResponse:
    return _act_on_round(request, pk,
                         lambda made, context: reviews.draw_sample(made, actor=request.user, context=context),
                         _("Sample drawn; the seed is revealed and the reviewers can start."))


@route("review.open", methods=("POST",), on=ROUND)
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act_on_round(request, pk, lambda made, context: reviews.close_round(
        made, actor=request.user, conclusion=request.POST.get("conclusion", ""), context=context), _("Round closed."))


@route("review.open", methods=("POST",), on=ROUND)
def round_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act_on_round(request, pk, lambda made, context: reviews.cancel_round(
        made, actor=request.user, reason=request.POST.get("reason", ""), context=context),
        _("Round cancelled; it stays listed with its reason."))


@route("review.take_part", on=ROUND, action="review", verb="review.record")
def record_review(request: HttpRequest, pk: int, record_pk: int) -> HttpResponse:
    made = _round(request, pk)
    record = get_object_or_404(visible_records(request.user).select_related("officer", "activity", "device"),
                               pk=record_pk)
    existing = made.reviews.filter(record=record).first()
    initial = None
    if existing is not None:
        initial = {"remarks": existing.remarks, **{f"score_{k}": v for k, v in existing.scores.items()},
                   **{f"comment_{k}": v for k, v in existing.comments.items()}}
    form = ReviewForm(request.POST or None, checks=made.checks, initial=initial)
    if request.method == "POST" and form.is_valid():
        scores, comments = form.scores()
        try:
            reviews.record_review(made, record.pk, reviewer=request.user, scores=scores, comments=comments,
                                  remarks=form.cleaned_data["remarks"], context=RequestContext.from_request(request))
        except Refused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Review saved."))
            return redirect("review_round", made.pk)
    findings = decorate(open_findings_for(request.user, record.activity_id), request.user) if record.activity_id else []
    return render(request, "supervision/record_review.html", {
        "round": made, "record": record, "form": form, "existing": existing, "findings": findings,
        "can_play": may(request.user, "record.play", record, "play")})


@route("review.view", on=ROUND)
def round_sample(request: HttpRequest, pk: int) -> HttpResponse:
    """The published sample as JSON, for ``lawtrace-verify sample.json`` on any machine."""
    made = get_object_or_404(visible_rounds(request.user).filter(sample__isnull=False), pk=pk)
    response = HttpResponse(json.dumps(reviews.sample_record(made), ensure_ascii=False, indent=1),
                            content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="review-sample-{made.pk}.json"'
    return response


@route("review.view", on=ROUND)
def round_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The check ledger (检查台账, 004/22) of a round: every sampled record, its scores and the reasons."""
    agency = request.user.agency
    made = _round(request, pk)
    reviewed = made.reviews.select_related("record", "officer", "reviewer").order_by("record_id")
    rows = [(r, [(r.scores.get(c["id"]), r.comments.get(c["id"], "")) for c in made.checks]) for r in reviewed]
    return pdf_response(render_pdf("supervision/round_print.html", {
        "agency": agency, "round": made, "rows": rows, "max_score": reviews.MAX_SCORE,
        "printed_at": timezone.localtime()}), f"{made.title}.pdf")
