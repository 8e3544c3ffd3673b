from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from lawtrace_verify.draw import FORMAT

from authz.capabilities import can
from authz.routes import route
from lawtrace.pages import history, paginate
from ledger.events import RequestContext
from org.models import User
from org.services import qualified_officers
from policy.registry import registry
from supervision import draws
from supervision.forms import PersonChoice
from supervision.models import Draw, InspectionTarget
from supervision.refusals import Refused
from supervision.targets import declare_conflict, import_targets, withdraw_conflict


@route("draw.view", post="draw.make", verb="draw.view")
def draw_list(request: HttpRequest) -> HttpResponse:
    agency = request.user.agency
    pack = registry().in_force(agency.pack_code)
    plans = pack.random_inspection.plans if pack.random_inspection else []
    if request.method == "POST":
        try:
            made = draws.commit(agency, plan_id=request.POST.get("plan", ""), period=request.POST.get("period", ""),
                                inspect_on=_moment(request.POST.get("inspect_on", "")), actor=request.user,
                                share=_share(request.POST.get("share_percent", "")),
                                session=_session(request, request.POST), context=RequestContext.from_request(request))
        except ValueError:
            messages.error(request, _("Give the date and time the inspections are planned for."))
            return redirect("draw_list")
        except draws.DrawRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("draw_list")
        messages.success(request, _("Committed: the seed's hash is in the ledger. Draw when the witnesses are "
                                    "present."))
        return redirect("draw_detail", made.pk)
    page, query = paginate(request, Draw.objects.restrict(request.user))
    return render(request, "supervision/draw_list.html", {
        "page": page, "query": query, "plans": plans, "officers": qualified_officers(agency, timezone.localdate()),
        "needs_share": any(p.share is None for p in plans), "needs_session": any(p.draw_stage for p in plans),
        "targets": InspectionTarget.objects.restrict(request.user).filter(active=True).count(),
        "can_draw": can(request.user, "draw.make")})


def _moment(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text)
    return timezone.make_aware(when) if timezone.is_naive(when) else when


def _share(text: str) -> float | None:
    try:
        return float(text) / 100 if text.strip() else None
    except ValueError:
        return None  # the action then asks for a share where the plan needs one


def _session(request: HttpRequest, form) -> draws.Session | None:
    if not form.get("session_at"):
        return None
    try:
        ids = [int(pk) for pk in form.getlist("session_officers")]
    except ValueError:
        ids = []
    return draws.Session(_moment(form["session_at"]), list(User.objects.restrict(request.user).filter(pk__in=ids)))


@route("draw.view", on="supervision.draw")
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    made = get_object_or_404(Draw.objects.restrict(request.user), pk=pk)
    names = dict(InspectionTarget.objects.restrict(request.user).values_list("credit_code", "name"))
    assignments = [(code, names.get(code, code), officers)
                   for code, officers in (made.result or {}).get("assignments", {}).items()]
    return render(request, "supervision/draw_detail.html", {
        "draw": made, "assignments": assignments, "verified": draws.check(made, made.seed) if made.result else None,
        "can_draw": can(request.user, "draw.make"), "events": history(request, made)})


@route("draw.make", methods=("POST",), on="supervision.draw", verb="draw.reveal")
def draw_perform(request: HttpRequest, pk: int) -> HttpResponse:
    made = get_object_or_404(Draw.objects.restrict(request.user), pk=pk)
    try:
        draws.perform(made, actor=request.user, context=RequestContext.from_request(request))
    except draws.DrawRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Drawn; the inspections are planned as activities of the drawn officers."))
    return redirect("draw_detail", made.pk)


@route("draw.view", post="draw.make", verb="supervision.import_targets")
def targets(request: HttpRequest) -> HttpResponse:
    agency = request.user.agency
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a .csv or .xlsx file."))
        else:
            try:
                report = import_targets(agency, upload, actor=request.user,
                                        context=RequestContext.from_request(request))
            except ValueError as error:
                messages.error(request, str(error))
    listed = InspectionTarget.objects.restrict(request.user).filter(active=True)
    if text := request.GET.get("q", "").strip():
        listed = listed.filter(name__icontains=text) | listed.filter(credit_code__icontains=text)
    page, query = paginate(request, listed)
    return render(request, "supervision/targets.html", {"page": page, "query": query, "report": report,
                                                        "imports": can(request.user, "draw.make")})


@route("draw.view", on="supervision.draw")
def draw_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The drawn record as JSON, for ``lawtrace-verify draw.json`` on any machine."""
    made = get_object_or_404(Draw.objects.restrict(request.user).filter(state=Draw.State.DRAWN), pk=pk)
    content = json.dumps({"format": FORMAT, "plan": made.plan_id, "period": made.period, "seed": made.seed,
                          "seed_hash": made.seed_hash, "digests": made.digests, "inputs": made.inputs,
                          "share": made.share, "per_target": made.per_target, "result": made.result},
                         ensure_ascii=False, indent=1)
    response = HttpResponse(content, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="draw-{made.pk}.json"'
    return response


@route("draw.view", post="draw.make", on="supervision.inspectiontarget", verb="supervision.target")
def target_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A target and the officers who must stand aside from it (回避)."""
    target = get_object_or_404(InspectionTarget.objects.restrict(request.user), pk=pk)
    can_edit = can(request.user, "draw.make")
    field = PersonChoice(queryset=User.objects.restrict(request.user).filter(is_active=True))
    if request.method == "POST":
        context = RequestContext.from_request(request)
        try:
            if withdraw := request.POST.get("withdraw"):
                withdraw_conflict(get_object_or_404(target.conflicts, pk=withdraw), actor=request.user,
                                  context=context)
                messages.success(request, _("Conflict withdrawn."))
            else:
                officer = field.clean(request.POST.get("officer"))
                declare_conflict(target, officer=officer, reason=request.POST.get("reason", ""),
                                 actor=request.user, context=context)
                messages.success(request, _("Conflict declared; draws committed before it will not be revealed."))
        except (Refused, ValidationError) as refusal:
            messages.error(request, " ".join(getattr(refusal, "messages", [str(refusal)])))
        return redirect("inspection_target", target.pk)
    return render(request, "supervision/target_detail.html", {
        "target": target, "conflicts": target.conflicts.select_related("officer"), "can_edit": can_edit,
        "officers": field.queryset.order_by("full_name", "username"), "events": history(request, target)})
