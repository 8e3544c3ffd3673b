from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from cases import queries, services
from cases.forms import ActivityForm, CaseForm, apply_service_errors
from cases.models import Case
from lawtrace.pages import history, paginate
from ledger.events import RequestContext, record_denial
from org.visibility import record_agency
from policy import current, rules
from policy.vocabulary import Category, Procedure


def _require_editor(request: HttpRequest, verb: str) -> None:
    if not queries.can_edit(request.user) or record_agency(request.user) is None:
        record_denial(verb, actor=request.user, context=RequestContext.from_request(request),
                      detail={"path": request.path})
        raise PermissionDenied(_("Your role cannot change cases or activities."))


def case_list(request: HttpRequest) -> HttpResponse:
    cases = queries.search_cases(queries.visible_cases(request.user), request.GET.get("q", ""))
    for name in ("category", "state", "procedure"):
        if value := request.GET.get(name):
            cases = cases.filter(**{name: value})
    page, query = paginate(request, cases.prefetch_related("handlers"))
    return render(request, "cases/case_list.html", {
        "page": page, "query": query, "categories": Category.choices, "states": Case.State.choices,
        "procedures": Procedure.choices, "can_edit": queries.can_edit(request.user),
    })


def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(queries.visible_cases(request.user).prefetch_related("handlers"), pk=pk)
    pack = current.version_of(case.agency, case.pack_version)
    tier = rules.case_file_tier(pack, rules.Facts(case_flags=case.flags()))
    activities = case.activities.order_by("planned_start")
    return render(request, "cases/case_detail.html", {
        "case": case, "activities": activities, "events": history(request, case), "pack": pack,
        "case_file_tier": tier, "can_edit": queries.can_edit(request.user),
    })


def case_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    agency = record_agency(request.user)
    case = get_object_or_404(queries.visible_cases(request.user), pk=pk) if pk else None
    _require_editor(request, "case.update" if case else "case.create")
    form = CaseForm(request.POST or None, instance=case, agency=agency,
                    initial={} if case else {"handlers": [request.user.pk]})
    if case:
        form.initial.setdefault("handlers", list(case.handlers.values_list("pk", flat=True)))
    if request.method == "POST" and form.is_valid():
        context = RequestContext.from_request(request)
        try:
            handlers = list(form.cleaned_data["handlers"])
            if case:
                case = services.update_case(case, form.service_data(), handlers, actor=request.user, context=context)
                messages.success(request, _("Case %(number)s saved.") % {"number": case.number})
            else:
                case = services.create_case(agency, form.service_data(), handlers, actor=request.user,
                                            context=context)
                messages.success(request, _("Case %(number)s created.") % {"number": case.number})
            return redirect("case_detail", pk=case.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(request, "cases/case_form.html", {"form": form, "case": case})


def activity_list(request: HttpRequest) -> HttpResponse:
    activities = queries.search_activities(queries.visible_activities(request.user), request.GET.get("q", ""),
                                           request.user)
    if value := request.GET.get("category"):
        activities = activities.filter(category=value)
    if request.GET.get("mine"):
        activities = activities.filter(participants__user=request.user)
    if value := request.GET.get("from"):
        activities = activities.filter(planned_start__date__gte=value)
    if value := request.GET.get("to"):
        activities = activities.filter(planned_start__date__lte=value)
    page, query = paginate(request, activities.select_related("case", "agency").prefetch_related("participants__user"))
    stages = _stage_labels(request.user)
    return render(request, "cases/activity_list.html", {
        "page": page, "query": query, "categories": Category.choices, "stages": stages,
        "can_edit": queries.can_edit(request.user),
    })


def _stage_labels(user) -> dict[str, str]:
    agency = record_agency(user)
    if agency is None:
        return {}
    return {
        row.id: row.stage for pack in current.versions(agency) for row in pack.checklist
    }


def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(queries.visible_activities(request.user).select_related("case", "agency"), pk=pk)
    pack = current.version_of(activity.agency, activity.pack_version)
    row = rules.checklist_row(pack, activity.stage)
    facts = rules.Facts(properties=activity.flags(), activity_category=activity.category, stage=activity.stage)
    moments = {m.id: m.label for m in (pack.recording.moments if pack.recording else [])}
    return render(request, "cases/activity_detail.html", {
        "activity": activity, "row": row, "pack": pack,
        "recording_required": rules.recording_required(row, facts) if row else None,
        "obligation": rules.obligation_label(pack, row) if row else "",
        "properties": rules.property_labels(pack, activity.properties or []),
        "moments": sorted(((moments.get(k, k), dt.datetime.fromisoformat(v)) for k, v in
                           (activity.moments or {}).items()), key=lambda pair: pair[1]),
        "uninterrupted": rules.uninterrupted_triggers(pack, facts),
        "participants": activity.participants.select_related("user"),
        "events": history(request, activity), "can_edit": queries.can_edit(request.user),
    })


def activity_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    agency = record_agency(request.user)
    activity = get_object_or_404(queries.visible_activities(request.user), pk=pk) if pk else None
    _require_editor(request, "activity.update" if activity else "activity.create")
    initial = {}
    if activity is None and (case_id := request.GET.get("case")):
        case = queries.visible_cases(request.user).filter(pk=case_id).first()
        if case:
            initial = {"case": case.pk, "category": case.category}
    if activity is None:
        initial.setdefault("officers", [request.user.pk])
    form = ActivityForm(request.POST or None, instance=activity, agency=agency,
                        cases=queries.visible_cases(request.user), initial=initial)
    if request.method == "POST" and form.is_valid():
        context = RequestContext.from_request(request)
        officers, assistants = list(form.cleaned_data["officers"]), list(form.cleaned_data["assistants"])
        try:
            if activity:
                activity = services.update_activity(activity, form.service_data(), officers, assistants,
                                                    actor=request.user, context=context)
                messages.success(request, _("Activity saved."))
            else:
                activity = services.create_activity(agency, form.service_data(), officers, assistants,
                                                    actor=request.user, context=context)
                messages.success(request, _("Activity recorded."))
            return redirect("activity_detail", pk=activity.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(request, "cases/activity_form.html", {"form": form, "activity": activity})
