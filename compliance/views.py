from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from authz.routes import route
from cases.forms import apply_service_errors
from cases.models import Activity
from cases.queries import participant_ids
from compliance import labels, queries, services
from compliance.forms import DecisionForm, NoteForm
from compliance.models import Finding, InterruptionNote
from evidence.queries import visible_records
from lawtrace.pages import history, paginate
from lawtrace.pdf import pdf_response, render_pdf
from ledger.events import RequestContext, record_denial
from org.models import Unit
from policy.vocabulary import Category


@route("finding.view")
def finding_list(request: HttpRequest) -> HttpResponse:
    findings = queries.filter_findings(queries.visible_findings(request.user), request.GET)
    findings = findings.select_related("activity", "officer", "unit", "record").order_by("-opened_at", "-id")
    page, query = paginate(request, findings)
    labels.decorate(page.object_list, request.user)
    return render(request, "compliance/finding_list.html", {
        "page": page, "query": query, "rules": list(labels.RULES.items()), "severities": Finding.Severity.choices,
        "categories": Category.choices,
        "units": Unit.objects.restrict(request.user) if queries.sees_agency(request.user) else [],
    })


@route("compliance.oversee")
def overview(request: HttpRequest) -> HttpResponse:
    """Rates by unit, officer, category and month with a trend chart; every figure links to its findings."""
    today = timezone.localdate()
    since = dt.date(today.year - 1, today.month, 1)
    months = queries.rates(request.user, "month", since)
    labels_by_category = dict(Category.choices)
    by_category = queries.rates(request.user, "category", since)
    for row in by_category:
        row["label"] = labels_by_category.get(row["category"], row["category"])
    trend = {"months": [f"{r['month']:%Y-%m}" for r in months], "rates": [r["rate"] for r in months],
             "totals": [r["total"] for r in months]}
    by_rule = queries.findings_by_rule(request.user)
    severities = dict(Finding.Severity.choices)
    for row in by_rule:
        row["label"] = labels.RULES.get(row["rule"], row["rule"])
        row["severity_label"] = severities.get(row["severity"], row["severity"])
    return render(request, "compliance/overview.html", {
        "since": since, "months": months, "by_unit": queries.rates(request.user, "unit", since),
        "by_officer": queries.rates(request.user, "officer", since), "by_category": by_category,
        "by_rule": by_rule, "trend_json": json.dumps(trend), "last_run": services.last_recompute(),
    })


@route("finding.view")
def note_list(request: HttpRequest) -> HttpResponse:
    notes = queries.visible_notes(request.user).select_related("activity", "author", "reviewer")
    if state := request.GET.get("state"):
        notes = notes.filter(state=state)
    if request.GET.get("mine"):
        notes = notes.filter(author=request.user)
    page, query = paginate(request, notes)
    return render(request, "compliance/note_list.html", {"page": page, "query": query,
                                                          "states": InterruptionNote.State.choices})


def _parse_moment(text: str) -> dt.datetime | None:
    try:
        return timezone.localtime(dt.datetime.fromisoformat(text)).replace(tzinfo=None)
    except (TypeError, ValueError):
        return None


def _clips(request: HttpRequest, activity):
    return visible_records(request.user).filter(activity=activity, kind__in=["av", "audio"]).order_by("recorded_start")


@route("note.write", on="cases.activity", key="activity_pk", action="explain", verb="note.submit")
def note_create(request: HttpRequest, activity_pk: int) -> HttpResponse:
    """Only officers of the activity write its interruption notes (the route's ``explain`` action)."""
    activity = get_object_or_404(Activity.objects.restrict(request.user, "explain").select_related("agency"),
                                 pk=activity_pk)
    people = participant_ids(activity)
    initial = {"gap_start": _parse_moment(request.GET.get("from", "")),
               "gap_end": _parse_moment(request.GET.get("to", ""))}
    form = NoteForm(request.POST or None, initial=initial, reasons=services.reasons(activity.agency),
                    clips=_clips(request, activity))
    if request.method == "POST" and form.is_valid():
        try:
            note = services.submit_note(activity, form.service_data(), list(form.cleaned_data["clips"]),
                                        actor=request.user, participant_ids=people,
                                        context=RequestContext.from_request(request))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The interruption note was submitted for review."))
            return redirect("note_detail", note.pk)
    return render(request, "compliance/note_form.html", {
        "form": form, "activity": activity, "review_cites": services.review_cites(activity.agency)})


@route("finding.view", on="compliance.interruptionnote")
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(queries.visible_notes(request.user).select_related("activity", "author", "reviewer",
                                                                                 "agency"), pk=pk)
    context = RequestContext.from_request(request)
    decision = DecisionForm(request.POST or None) if services.can_review(request.user, note) else None
    revision = None
    if note.author_id == request.user.pk and note.state == InterruptionNote.State.RETURNED:
        revision = NoteForm(request.POST or None, instance=note, reasons=services.reasons(note.agency),
                            clips=_clips(request, note.activity), prefix="revise")
    if request.method == "POST":
        try:
            if "decision" in request.POST and decision is not None and decision.is_valid():
                services.decide_note(note, approve=decision.cleaned_data["decision"] == "approve",
                                     comment=decision.cleaned_data["review_comment"], actor=request.user,
                                     context=context)
                messages.success(request, _("Decision recorded."))
                return redirect("note_detail", note.pk)
            if revision is not None and revision.is_valid():
                services.revise_note(note, revision.service_data(), list(revision.cleaned_data["clips"]),
                                     actor=request.user, participant_ids=participant_ids(note.activity),
                                     context=context)
                messages.success(request, _("The revised note was submitted again."))
                return redirect("note_detail", note.pk)
            if decision is None and revision is None:
                record_denial("note.decide", actor=request.user, obj=note, context=context)
                raise PermissionDenied(_("You cannot change this note."))
        except PermissionError as error:
            record_denial("note.decide", actor=request.user, obj=note, context=context, detail={"why": str(error)})
            raise PermissionDenied(str(error)) from error
        except ValidationError as error:
            apply_service_errors(decision if "decision" in request.POST and decision else revision, error)
    return render(request, "compliance/note_detail.html", {
        "note": note, "decision": decision, "revision": revision, "review_cites": services.review_cites(note.agency),
        "clips": note.clips.all(), "events": history(request, note),
    })


@route("finding.view", on="compliance.interruptionnote")
def note_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(queries.visible_notes(request.user).select_related("activity", "author", "reviewer",
                                                                                 "agency"), pk=pk)
    content = render_pdf("compliance/note_print.html", {"note": note, "clips": note.clips.all(),
                                                         "review_cites": services.review_cites(note.agency),
                                                         "printed_at": timezone.now()},
                         request=request)
    return pdf_response(content, f"中断工作记录-{note.pk}.pdf")
