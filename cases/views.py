from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from authz.capabilities import can
from authz.routes import may, route
from cases import queries, services
from cases.forms import ActivityForm, CaseForm, HandlersForm, apply_service_errors
from cases.models import Activity, Case
from lawtrace.pages import history, paginate
from ledger.events import RequestContext
from policy import rules
from policy.registry import registry
from policy.vocabulary import Category, Procedure


@route("case.view")
def case_list(request: HttpRequest) -> HttpResponse:
    cases = queries.search_cases(queries.visible_cases(request.user), request.GET.get("q", ""))
    for name in ("category", "state", "procedure"):
        if value := request.GET.get(name):
            cases = cases.filter(**{name: value})
    page, query = paginate(request, cases.prefetch_related("handlers"))
    return render(request, "cases/case_list.html", {
        "page": page, "query": query, "categories": Category.choices, "states": Case.State.choices,
        "procedures": Procedure.choices,
    })


@route("case.view", on="cases.case")
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(queries.visible_cases(request.user).prefetch_related("handlers"), pk=pk)
    pack = registry().get(case.agency.pack_code, case.pack_version)
    tier = rules.case_file_tier(pack, rules.Facts(case_flags=case.flags()))
    activities = case.activities.order_by("planned_start")
    return render(request, "cases/case_detail.html", {
        "case": case, "activities": activities, "events": history(request, case), "pack": pack,
        "case_file_tier": tier, "can_edit": may(request.user, "case.edit", case, "edit"),
        "can_draft": may(request.user, "decision.draft", case, "draft"),
        "can_assign": may(request.user, "case.assign_handlers", case),
    })


@route("case.create")
def case_create(request: HttpRequest) -> HttpResponse:
    return _case_form(request, None)


@route("case.edit", on="cases.case", action="edit")
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_form(request, get_object_or_404(Case.objects.restrict(request.user, "edit"), pk=pk))


def _case_form(request: HttpRequest, case: Case | None) -> HttpResponse:
    names_handlers = case is None and can(request.user, "case.assign_handlers")
    form = CaseForm(request.POST or None, instance=case, user=request.user, names_handlers=names_handlers,
                    initial={} if case else {"handlers": [request.user.pk]})
    if request.method == "POST" and form.is_valid():
        context = RequestContext.from_request(request)
        try:
            if case:
                case = services.update_case(case, form.service_data(), actor=request.user, context=context)
                messages.success(request, _("Case %(number)s saved.") % {"number": case.number})
            else:
                handlers = list(form.cleaned_data["handlers"]) if names_handlers else [request.user]
                case = services.create_case(request.user.agency, form.service_data(), handlers, actor=request.user,
                                            context=context)
                messages.success(request, _("Case %(number)s created.") % {"number": case.number})
            return redirect("case_detail", pk=case.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(request, "cases/case_form.html", {"form": form, "case": case})


@route("case.assign_handlers", on="cases.case")
def case_handlers(request: HttpRequest, pk: int) -> HttpResponse:
    """The head (or the office the pack names) names the case's handlers, with a reason (000/1/4)."""
    case = get_object_or_404(queries.visible_cases(request.user), pk=pk)
    form = HandlersForm(request.POST or None, user=request.user,
                        initial={"handlers": list(case.handlers.values_list("pk", flat=True))})
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_handlers(case, list(form.cleaned_data["handlers"]), reason=form.cleaned_data["reason"],
                                     actor=request.user, context=RequestContext.from_request(request))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The handlers of %(number)s were assigned.") % {"number": case.number})
            return redirect("case_detail", pk=case.pk)
    return render(request, "cases/case_handlers.html", {"form": form, "case": case})


@route("case.view")
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
    })


def _stage_labels(user) -> dict[str, str]:
    return {
        row.id: row.stage for pack in registry().versions(user.agency.pack_code) for row in pack.recording.checklist
    }


@route("case.view", on="cases.activity")
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(queries.visible_activities(request.user).select_related("case", "agency"), pk=pk)
    pack = registry().get(activity.agency.pack_code, activity.pack_version)
    row = rules.checklist_row(pack, activity.stage)
    facts = rules.Facts(activity_flags=activity.flags(), activity_category=activity.category)
    return render(request, "cases/activity_detail.html", {
        "activity": activity, "row": row, "pack": pack,
        "recording_required": rules.recording_required(row, facts) if row else None,
        "uninterrupted": rules.uninterrupted_triggers(pack, facts),
        "participants": activity.participants.select_related("user"),
        "events": history(request, activity), "can_edit": may(request.user, "activity.edit", activity, "edit"),
    })


@route("activity.edit")
def activity_create(request: HttpRequest) -> HttpResponse:
    return _activity_form(request, None)


@route("activity.edit", on="cases.activity", action="edit")
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _activity_form(request, get_object_or_404(Activity.objects.restrict(request.user, "edit"), pk=pk))


def _activity_form(request: HttpRequest, activity: Activity | None) -> HttpResponse:
    agency = request.user.agency
    initial = {}
    if activity is None and (case_id := request.GET.get("case")):
        case = Case.objects.restrict(request.user, "edit").filter(pk=case_id).first()
        if case:
            initial = {"case": case.pk, "category": case.category}
    if activity is None:
        initial.setdefault("officers", [request.user.pk])
    # Officers link an activity to the cases they handle; its present case stays a choice whoever linked it.
    cases = Case.objects.restrict(request.user, "edit")
    if activity is not None and activity.case_id:
        cases = cases | Case.objects.filter(pk=activity.case_id)
    form = ActivityForm(request.POST or None, instance=activity, user=request.user, cases=cases, initial=initial)
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
