from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from access import exports, forms, packages, register, services
from access.models import AccessRequest, PackageExport, step_label
from authz.capabilities import can
from authz.routes import route
from cases import services as case_services
from cases.models import Case
from cases.queries import visible_cases
from evidence import services as evidence_services
from evidence.models import Record
from evidence.queries import visible_records
from lawtrace.pages import history, paginate
from lawtrace.params import object_id, object_ids
from ledger.events import RequestContext
from org.models import User
from org.services import set_clearances
from policy import current
from policy.citations import law
from policy.vocabulary import ConfidentialityMark, RequesterType
from printing.services import recent as recent_prints
from printing.views import printed

REQUEST = "access.accessrequest"


def _requests(request: HttpRequest, action: str = "view"):
    return AccessRequest.objects.restrict(request.user, action).select_related("case", "requester_user", "handled_by")


@route("access.request", verb="access.list")
def request_list(request: HttpRequest) -> HttpResponse:
    requests = _requests(request)
    if status := request.GET.get("status"):
        requests = requests.filter(status=status)
    if text := request.GET.get("q", "").strip():
        by_case = Q(case__number__icontains=text) & Q(case__in=visible_cases(request.user))
        requests = requests.filter(Q(requester_name__icontains=text) | Q(requester_unit__icontains=text) | by_case)
    page, query = paginate(request, requests)
    return render(request, "access/request_list.html", {
        "page": page, "query": query, "statuses": AccessRequest.Status.choices})


@route("access.request")
def request_create(request: HttpRequest) -> HttpResponse:
    agency = request.user.agency
    pack = current.in_force(agency)
    case_id = object_id(request.POST.get("case") or request.GET.get("case"))
    records = visible_records(request.user).select_related("case")
    if case_id:
        records = records.filter(case_id=case_id)
    initial = {"requester_user": request.user.pk, "requester_type": "other_staff"}
    if case_id:
        initial["case"] = case_id
    if ids := request.GET.get("records"):
        initial["records"] = object_ids(ids.split(","))
    staff = User.objects.restrict(request.user).filter(is_active=True).order_by("username")
    files_for_others = can(request.user, "access.file_for_others")
    form = forms.RequestForm(request.POST or None, pack=pack, staff=staff, cases=visible_cases(request.user),
                             requester_types=_claimable(request.user), files_for_others=files_for_others,
                             records=records.order_by("case_id", "recorded_start", "pk"), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = data["case"]
        chosen = [r.pk for r in data["records"]]
        if not chosen and case is not None:
            chosen = services.admitted_items(request.user, case, data["requester_type"], data["actions"],
                                             data["purpose"])
        person = data["requester_user"] if form.is_staff_request() else None
        application = services.Application(
            requester_type=data["requester_type"], requester_user=person,
            requester_name=(person.full_name or person.username) if person else data["requester_name"],
            requester_unit=(str(person.unit or agency.name)) if person else data["requester_unit"],
            requester_id_number=data["requester_id_number"], purpose=data["purpose"], reason=data["reason"],
            actions=data["actions"], record_ids=chosen, valid_until=data["valid_until"],
            case_id=case.pk if case else None, credentials=form.credentials(),
            credentials_verified=data.get("credentials_verified", False))
        try:
            access = services.submit_request(application, actor=request.user,
                                             context=RequestContext.from_request(request))
        except services.AccessRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Access granted: the rule needs registration only.")
                             if access.status == AccessRequest.Status.GRANTED else _("Request filed for approval."))
            return redirect("access_request_detail", access.pk)
    return render(request, "access/request_form.html", {
        "form": form, "rules": pack.access.rules if pack.access else [],
        "fees": pack.access.fees if pack.access else None, "exclusions": pack.access.exclusions if pack.access else []})


def _claimable(user) -> set[str]:
    """The requester types a user may file under: the archivist files for anyone (000/1/6); staff ask as who they
    are, as case officer only if they handle a case (000/1/4), else as other staff (000/1/5)."""
    if can(user, "access.file_for_others"):
        return set(RequesterType.values)
    handles = Case.objects.restrict(user, "handle").exists()
    return {RequesterType.OTHER_STAFF} | ({RequesterType.CASE_OFFICER} if handles else set())


@route("access.request", on=REQUEST)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_object_or_404(_requests(request), pk=pk)
    items = list(access.records.select_related("blob", "officer", "case").order_by("recorded_start", "pk"))
    playable = set(visible_records(request.user, "play").filter(pk__in=[r.pk for r in items])
                   .values_list("pk", flat=True))
    copyable = services.copyable_items(access, request.user)
    pack = current.version_of(access.agency, access.pack_version)
    rule = next((r for r in (pack.access.rules if pack.access else []) if r.id == access.rule_id), None)
    step = services.next_step(access)
    return render(request, "access/request_detail.html", {
        "access": access, "items": items, "playable": playable, "rule": rule,
        "fees": pack.access.fees if pack.access else None,
        "decisions": access.decisions.select_related("decided_by"), "next_step": step,
        "next_label": step_label(step[1]["role"], step[1]["kind"]) if step else "",
        "can_decide": services.can_decide(request.user, access), "decision_form": forms.DecisionForm(),
        "revoke_form": forms.RevokeForm(), "package_form": forms.PackageForm(initial={
            "maker": str(request.user), "extractor": str(request.user)}) if copyable else None,
        "copyable": copyable, "exports": access.exports.select_related("requested_by"),
        "events": history(request, access), "now": timezone.now(),
    })


@route("access.decide", methods=("POST",), on=REQUEST)
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_object_or_404(_requests(request), pk=pk)
    form = forms.DecisionForm(request.POST)
    form.is_valid()
    try:
        services.decide(access, actor=request.user, approve=request.POST.get("decision") == "approve",
                        comment=form.cleaned_data.get("comment", ""), context=RequestContext.from_request(request))
    except services.AccessRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("access_request_detail", access.pk)


@route("access.revoke", methods=("POST",), on=REQUEST)
def request_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_object_or_404(_requests(request), pk=pk)
    form = forms.RevokeForm(request.POST)
    try:
        services.revoke(access, actor=request.user, reason=request.POST.get("reason", "") if form.is_valid() else "",
                        context=RequestContext.from_request(request))
    except services.AccessRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The grant was revoked."))
    return redirect("access_request_detail", access.pk)


@route("package.make", methods=("POST",), on=REQUEST, action="package", verb="package.request")
def request_package(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy out under the grant: queue the evidence package of the items the registry allows, then follow it."""
    access = get_object_or_404(_requests(request), pk=pk)
    form = forms.PackageForm(request.POST)
    governing = current.version_of(access.agency, access.pack_version)
    fees = governing.access.fees if governing.access else None
    pays = fees is not None and fees.copying == "requester_pays"
    if form.is_valid() and pays and form.cleaned_data["fee_yuan"] is None:
        form.add_error("fee_yuan", _("The requester bears the copying cost (%(cite)s); enter the fee charged.") % {
            "cite": law(fees.cite)})
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("access_request_detail", access.pk)
    data = form.cleaned_data
    try:
        export = exports.request_export(access, actor=request.user, maker=data["maker"], extractor=data["extractor"],
                                        proves=data["proves"], fee_yuan=data["fee_yuan"],
                                        context=RequestContext.from_request(request))
    except services.AccessRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("access_request_detail", access.pk)
    messages.success(request, _("The package is being made; this page shows its progress."))
    return redirect("package_export_detail", export.pk)


def _exports(request: HttpRequest, action: str = "view"):
    return PackageExport.objects.restrict(request.user, action).select_related("request", "requested_by")


@route("access.request", on="access.packageexport")
def package_export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    export = get_object_or_404(_exports(request), pk=pk)
    return render(request, "access/package_export.html", {
        "export": export, "mine": export.requested_by_id == request.user.pk,
        "keep_days": settings.ACCESS_PACKAGE_KEEP_DAYS, "events": history(request, export)})


@route("package.make", on="access.packageexport", action="download", verb="package.download")
def package_export_download(request: HttpRequest, pk: int) -> HttpResponse:
    export = get_object_or_404(_exports(request, "download"), pk=pk)
    try:
        archive = exports.open_archive(export, actor=request.user, context=RequestContext.from_request(request))
    except services.AccessRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("package_export_detail", export.pk)
    return FileResponse(archive, as_attachment=True, filename=export.archive_name, content_type="application/zip")


@route("package.verify")
def verify_page(request: HttpRequest) -> HttpResponse:
    """Check an uploaded package the way ``lawtrace-verify`` does offline."""
    form = forms.VerifyForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as work:
            report = packages.verify_upload(form.cleaned_data["package"], Path(work))
        services.record_verification(form.cleaned_data["package"].name, report.outcome == "passed", report.failures,
                                     actor=request.user, context=RequestContext.from_request(request))
    return render(request, "access/verify.html", {"form": form, "report": report})


def _register_filter(request: HttpRequest) -> tuple[forms.RegisterFilter, dt.date | None, dt.date | None, str]:
    form = forms.RegisterFilter(request.GET or None)
    if not form.is_valid():
        return form, None, None, ""
    data = form.cleaned_data
    return form, data["since"], data["until"], data["q"].strip()


@route("access.register")
def register_view(request: HttpRequest) -> HttpResponse:
    agency = request.user.agency
    form, since, until, text = _register_filter(request)
    output = request.GET.get("format")
    if output == "pdf":
        # Printed at once when short, else by a job with a progress page; refused above the far limit, with how to
        # narrow it (printing.services).
        asked = {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
                 "q": text}
        return printed(request, "access_register", asked, f"{agency.name}查阅登记簿.pdf", "register_print_job")
    events = register.searched(register.register_events(agency.code, *register.period(since, until)), text)
    if output == "xlsx":
        # A document covers all it was asked for and says so, or is refused with the count and how to narrow it.
        scope = register.Scope(since, until, text, events.count())
        if problem := register.too_long(scope, settings.ACCESS_REGISTER_EXPORT_LIMIT):
            messages.error(request, problem)
            kept = request.GET.copy()
            kept.pop("format", None)
            return redirect(f"{request.path}?{kept.urlencode()}")
        response = HttpResponse(register.xlsx(agency, register.batches(events), scope), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        from urllib.parse import quote

        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(agency.name + '查阅登记簿')}.xlsx"
        return response
    page, query = paginate(request, events)
    return render(request, "access/register.html", {
        "form": form, "page": page, "query": query, "rows": register.rows(page.object_list),
        "headings": register.headings(), "printed": recent_prints(request.user, "access_register")})


@route("clearance.set", verb="user.clearance")
def clearances(request: HttpRequest) -> HttpResponse:
    """The security administrator decides who is cleared for which confidentiality mark (000/1/10)."""
    agency = request.user.agency
    pack = current.in_force(agency)
    marks = [(m, label) for m, label in ConfidentialityMark.choices
             if pack.confidentiality and m in {str(x) for x in pack.confidentiality.marks}]
    # Staff, and the connected systems (integration/): a system is cleared as a person is, and by the same hand
    # (三员分立: permissions are the security administrator's), so its tokens see marked cases only when cleared.
    staff = (User.objects.restrict(request.user)
             .filter(Q(is_active=True) | Q(system_account__isnull=False, system_account__active=True))
             .select_related("system_account").order_by("username"))
    if request.method == "POST":
        person = get_object_or_404(staff, pk=object_id(request.POST.get("user")) or 0)
        try:
            set_clearances(person, request.POST.getlist("marks"), actor=request.user,
                           context=RequestContext.from_request(request))
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("Clearances saved for %(name)s.") % {"name": person})
        return redirect("access_clearances")
    page, query = paginate(request, staff)
    cite = pack.confidentiality.cite if pack.confidentiality else []
    return render(request, "access/clearances.html", {"page": page, "query": query, "marks": marks, "cite": cite})


MARKS_SHOWN = 200


@route("case.lower_mark")
def marks(request: HttpRequest) -> HttpResponse:
    """The security administrator lowers confidentiality marks of cases and records, with a reason (000/1/10); the
    marked items are listed by name only, never opened."""
    cases = Case.objects.restrict(request.user, "lower_mark").order_by("number")
    records = Record.objects.restrict(request.user, "lower_mark").order_by("original_name", "pk")
    if request.method == "POST":
        reason, context = request.POST.get("reason", ""), RequestContext.from_request(request)
        try:
            if request.POST.get("record"):
                record = get_object_or_404(records, pk=object_id(request.POST["record"]))
                evidence_services.lower_record_mark(record, reason=reason, actor=request.user, context=context)
            else:
                case = get_object_or_404(cases, pk=object_id(request.POST.get("case")) or 0)
                case_services.lower_marks(case, request.POST.getlist("marks"), reason=reason, actor=request.user,
                                          context=context)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("The mark was lowered."))
        return redirect("access_marks")
    return render(request, "access/marks.html", {
        "cases": cases[:MARKS_SHOWN], "records": records[:MARKS_SHOWN], "limit": MARKS_SHOWN,
        "more_cases": cases.count() > MARKS_SHOWN, "more_records": records.count() > MARKS_SHOWN})
