from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from authz.capabilities import can
from authz.routes import route
from evidence.queries import visible_records
from lawtrace.pages import paginate
from lawtrace.params import object_ids
from ledger.events import RequestContext
from retention import forms, queries, services
from retention.models import Hold, Schedule


@route("retention.view")
def overview(request: HttpRequest) -> HttpResponse:
    """Due for review (archivist proposes), proposals (head decides), holds, and what expires within 30 days."""
    page, query = paginate(request, queries.due_for_review(request.user))
    return render(request, "retention/overview.html", {
        "page": page, "query": query, "propose_form": forms.ProposeForm(), "decide_form": forms.DecideForm(),
        "release_form": forms.ReleaseForm(), "proposals": queries.proposals_waiting(request.user)[:200],
        "under_way": queries.purges_under_way(request.user)[:200],
        "holds": queries.active_holds(request.user)[:200], "expiring": queries.expiring_within(request.user)[:50],
        "can_propose": can(request.user, "retention.propose_purge"),
        "can_decide": can(request.user, "retention.decide_purge"),
    })


def _refused(request: HttpRequest, refusal: Exception, target: str = "retention_overview", **kwargs):
    messages.error(request, str(refusal))
    return redirect(target, **kwargs)


@route("retention.propose_purge", methods=("POST",))
def propose(request: HttpRequest) -> HttpResponse:
    records = list(visible_records(request.user).filter(pk__in=object_ids(request.POST.getlist("records")))
                   .select_related("case", "blob"))
    try:
        made = services.propose_purge(records, reason=request.POST.get("reason", ""), actor=request.user,
                                      context=RequestContext.from_request(request))
    except services.RetentionRefused as refusal:
        return _refused(request, refusal)
    messages.success(request, _("%(n)d records proposed for purge; the head decides.") % {"n": len(made)})
    return redirect("retention_overview")


@route("retention.decide_purge", methods=("POST",), verb="retention.approve_purge")
def decide(request: HttpRequest) -> HttpResponse:
    chosen = object_ids(request.POST.getlist("proposals"))
    proposals = list(queries.proposals_waiting(request.user).filter(pk__in=chosen))
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_purge(proposals, approve=approve, actor=request.user,
                              comment=request.POST.get("comment", ""), context=RequestContext.from_request(request))
    except services.RetentionRefused as refusal:
        return _refused(request, refusal)
    messages.success(request, _("Purge approved: the records are removed by the background job.") if approve
                     else _("Purge rejected."))
    return redirect("retention_overview")


@route("retention.hold", methods=("POST",), on="evidence.record")
def place_hold(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(visible_records(request.user), pk=pk)
    form = forms.HoldForm(request.POST, agency=record.agency)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("record_detail", pk=pk)
    data = form.cleaned_data
    try:
        services.place_hold([record], kind=data["kind"], trigger=data["trigger"], reason=data["reason"],
                            actor=request.user, context=RequestContext.from_request(request))
    except services.RetentionRefused as refusal:
        return _refused(request, refusal, "record_detail", pk=pk)
    messages.success(request, _("Hold placed."))
    return redirect("record_detail", pk=pk)


@route("retention.release_hold", methods=("POST",), on="retention.hold", verb="retention.release")
def release_hold(request: HttpRequest, pk: int) -> HttpResponse:
    hold = get_object_or_404(Hold.objects.restrict(request.user), pk=pk)
    try:
        services.release_hold(hold, actor=request.user, reason=request.POST.get("reason", ""),
                              context=RequestContext.from_request(request))
    except services.RetentionRefused as refusal:
        return _refused(request, refusal, "record_detail", pk=hold.record_id)
    messages.success(request, _("Hold released."))
    return redirect("record_detail", pk=hold.record_id)


@route("retention.shorten", methods=("POST",), on="retention.schedule")
def shorten(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule.objects.restrict(request.user), pk=pk)
    try:
        services.approve_shortening(schedule, actor=request.user, context=RequestContext.from_request(request))
    except services.RetentionRefused as refusal:
        return _refused(request, refusal, "record_detail", pk=pk)
    messages.success(request, _("Retention period shortened."))
    return redirect("record_detail", pk=pk)
