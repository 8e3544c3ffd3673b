from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from authz.roles import Role
from evidence.queries import visible_records
from lawtrace.pages import agency_or_refuse, paginate
from ledger.events import RequestContext
from retention import forms, queries, services
from retention.models import Hold, Schedule


def _staff_only(request: HttpRequest, verb: str) -> None:
    agency_or_refuse(request, verb, _("Retention is handled by the staff of an agency."))


def overview(request: HttpRequest) -> HttpResponse:
    """Due for review (archivist proposes), proposals (head decides), holds, and what expires within 30 days."""
    _staff_only(request, "retention.view")
    page, query = paginate(request, queries.due_for_review(request.user))
    return render(request, "retention/overview.html", {
        "page": page, "query": query, "propose_form": forms.ProposeForm(), "decide_form": forms.DecideForm(),
        "release_form": forms.ReleaseForm(), "proposals": queries.proposals_waiting(request.user)[:200],
        "holds": queries.active_holds(request.user)[:200], "expiring": queries.expiring_within(request.user)[:50],
        "is_archivist": Role.ARCHIVIST in request.user.role_set, "is_head": Role.HEAD in request.user.role_set,
    })


def _refused(request: HttpRequest, refusal: Exception, target: str = "retention_overview", **kwargs):
    messages.error(request, str(refusal))
    return redirect(target, **kwargs)


@require_POST
def propose(request: HttpRequest) -> HttpResponse:
    _staff_only(request, "retention.propose_purge")
    records = list(visible_records(request.user).filter(pk__in=request.POST.getlist("records"))
                   .select_related("case", "blob"))
    try:
        made = services.propose_purge(records, reason=request.POST.get("reason", ""), actor=request.user,
                                      context=RequestContext.from_request(request))
    except services.RetentionRefused as refusal:
        return _refused(request, refusal)
    messages.success(request, _("%(n)d records proposed for purge; the head decides.") % {"n": len(made)})
    return redirect("retention_overview")


@require_POST
def decide(request: HttpRequest) -> HttpResponse:
    _staff_only(request, "retention.approve_purge")
    proposals = list(queries.proposals_waiting(request.user).filter(pk__in=request.POST.getlist("proposals")))
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_purge(proposals, approve=approve, actor=request.user,
                              comment=request.POST.get("comment", ""), context=RequestContext.from_request(request))
    except services.RetentionRefused as refusal:
        return _refused(request, refusal)
    messages.success(request, _("Purge approved: the records are removed by the background job.") if approve
                     else _("Purge rejected."))
    return redirect("retention_overview")


@require_POST
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


@require_POST
def release_hold(request: HttpRequest, pk: int) -> HttpResponse:
    hold = get_object_or_404(Hold.objects.filter(record__in=visible_records(request.user)), pk=pk)
    try:
        services.release_hold(hold, actor=request.user, reason=request.POST.get("reason", ""),
                              context=RequestContext.from_request(request))
    except services.RetentionRefused as refusal:
        return _refused(request, refusal, "record_detail", pk=hold.record_id)
    messages.success(request, _("Hold released."))
    return redirect("record_detail", pk=hold.record_id)


@require_POST
def shorten(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule.objects.filter(record__in=visible_records(request.user)), pk=pk)
    try:
        services.approve_shortening(schedule, actor=request.user, context=RequestContext.from_request(request))
    except services.RetentionRefused as refusal:
        return _refused(request, refusal, "record_detail", pk=pk)
    messages.success(request, _("Retention period shortened."))
    return redirect("record_detail", pk=pk)
