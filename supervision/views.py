from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lawtrace.pages import agency_or_refuse, history, paginate
from ledger.events import RequestContext, record_denial
from org.models import User
from org.services import qualified_officers
from policy import current
from supervision import draws
from supervision.models import Draw, InspectionTarget
from supervision.refusals import Refused
from supervision.targets import declare_conflict, import_targets, withdraw_conflict


def _agency(request: HttpRequest, verb: str):
    return agency_or_refuse(request, verb, _("Supervision is for the staff of an agency."))


def draw_list(request: HttpRequest) -> HttpResponse:
    agency = _agency(request, "draw.view")
    pack = current.in_force(agency)
    plans = pack.random_inspection.plans if pack.random_inspection else []
    if request.method == "POST":
        try:
            made = draws.commit(agency, plan_id=request.POST.get("plan", ""), period=request.POST.get("period", ""),
                                inspect_on=_moment(request.POST.get("inspect_on", "")), actor=request.user,
                                share=_share(request.POST.get("share_percent", "")),
                                session=_session(agency, request.POST), context=RequestContext.from_request(request))
        except ValueError:
            messages.error(request, _("Give the date and time the inspections are planned for."))
            return redirect("draw_list")
        except draws.DrawRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("draw_list")
        messages.success(request, _("Committed: the seed's hash is in the ledger. Draw when the witnesses are "
                                    "present."))
        return redirect("draw_detail", made.pk)
    page, query = paginate(request, Draw.objects.filter(agency=agency))
    return render(request, "supervision/draw_list.html", {
        "page": page, "query": query, "plans": plans, "officers": qualified_officers(agency, timezone.localdate()),
        "needs_share": any(p.share is None for p in plans), "needs_session": any(p.draw_stage for p in plans),
        "targets": InspectionTarget.objects.filter(agency=agency, active=True).count(),
        "can_draw": bool(request.user.role_set & draws.DRAWERS)})


def _moment(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text)
    return timezone.make_aware(when) if timezone.is_naive(when) else when


def _share(text: str) -> float | None:
    try:
        return float(text) / 100 if text.strip() else None
    except ValueError:
        return None  # the action then asks for a share where the plan needs one


def _session(agency, form) -> draws.Session | None:
    if not form.get("session_at"):
        return None
    try:
        ids = [int(pk) for pk in form.getlist("session_officers")]
    except ValueError:
        ids = []
    return draws.Session(_moment(form["session_at"]), list(User.objects.filter(agency=agency, pk__in=ids)))


def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agency = _agency(request, "draw.view")
    made = get_object_or_404(Draw.objects.filter(agency=agency), pk=pk)
    names = dict(InspectionTarget.objects.filter(agency=agency).values_list("credit_code", "name"))
    assignments = [(code, names.get(code, code), officers)
                   for code, officers in (made.result or {}).get("assignments", {}).items()]
    return render(request, "supervision/draw_detail.html", {
        "draw": made, "assignments": assignments, "verified": draws.check(made, made.seed) if made.result else None,
        "can_draw": bool(request.user.role_set & draws.DRAWERS), "events": history(request, made)})


@require_POST
def draw_perform(request: HttpRequest, pk: int) -> HttpResponse:
    agency = _agency(request, "draw.reveal")
    made = get_object_or_404(Draw.objects.filter(agency=agency), pk=pk)
    try:
        draws.perform(made, actor=request.user, context=RequestContext.from_request(request))
    except draws.DrawRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Drawn; the inspections are planned as activities of the drawn officers."))
    return redirect("draw_detail", made.pk)


def targets(request: HttpRequest) -> HttpResponse:
    agency = _agency(request, "supervision.import_targets")
    report = None
    if request.method == "POST":
        if not request.user.role_set & draws.DRAWERS:
            record_denial("supervision.import_targets", actor=request.user,
                          context=RequestContext.from_request(request))
            raise PermissionDenied(_("The registry is kept by the supervisor or the head."))
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a .csv or .xlsx file."))
        else:
            try:
                report = import_targets(agency, upload, actor=request.user,
                                        context=RequestContext.from_request(request))
            except ValueError as error:
                messages.error(request, str(error))
    listed = InspectionTarget.objects.filter(agency=agency, active=True)
    if text := request.GET.get("q", "").strip():
        listed = listed.filter(name__icontains=text) | listed.filter(credit_code__icontains=text)
    page, query = paginate(request, listed)
    return render(request, "supervision/targets.html", {"page": page, "query": query, "report": report,
                                                        "imports": bool(request.user.role_set & draws.DRAWERS)})


def draw_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The drawn record as JSON, for ``lawtrace-verify draw.json`` on any machine."""
    import json

    from lawtrace_verify.draw import FORMAT

    agency = _agency(request, "draw.view")
    made = get_object_or_404(Draw.objects.filter(agency=agency, state=Draw.State.DRAWN), pk=pk)
    content = json.dumps({"format": FORMAT, "plan": made.plan_id, "period": made.period, "seed": made.seed,
                          "seed_hash": made.seed_hash, "digests": made.digests, "inputs": made.inputs,
                          "share": made.share, "per_target": made.per_target, "result": made.result},
                         ensure_ascii=False, indent=1)
    response = HttpResponse(content, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="draw-{made.pk}.json"'
    return response


def target_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A target and the officers who must stand aside from it (回避)."""
    from supervision.forms import PersonChoice

    agency = _agency(request, "supervision.target")
    target = get_object_or_404(InspectionTarget.objects.filter(agency=agency), pk=pk)
    can_edit = bool(request.user.role_set & draws.DRAWERS)
    field = PersonChoice(queryset=User.objects.filter(agency=agency, is_active=True))
    if request.method == "POST" and can_edit:
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
