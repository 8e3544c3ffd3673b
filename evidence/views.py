from __future__ import annotations

import datetime as dt
import mimetypes

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.forms import apply_service_errors
from cases.queries import activities_overlapping
from evidence import classify, queries, services, streaming, timesources
from evidence.forms import ClassifyForm, LinkForm, UnlinkForm, UploadDetailsForm
from evidence.models import Derivative, Record, UploadSession
from evidence.naming import accepted_extensions
from evidence.probe import media_rows
from lawtrace.pages import history, paginate
from ledger.events import RequestContext, record_denial, record_event
from org.visibility import record_agency
from policy.registry import registry
from policy.vocabulary import RecordKind


def _record(request: HttpRequest, pk: int) -> Record:
    return get_object_or_404(queries.with_listing_relations(queries.visible_records(request.user)), pk=pk)


def _require_filer(request: HttpRequest, verb: str) -> None:
    if not queries.can_file(request.user) or record_agency(request.user) is None:
        record_denial(verb, actor=request.user, context=RequestContext.from_request(request),
                      detail={"path": request.path})
        raise PermissionDenied(_("Your role cannot file or change evidence records."))


def _filtered(request: HttpRequest):
    name = request.GET.get("worklist", "")
    records = queries.worklist(request.user, name) if name in queries.WORKLISTS else \
        queries.visible_records(request.user)
    records = queries.search_records(records, request.GET.get("q", ""))
    if kind := request.GET.get("kind"):
        records = records.filter(kind=kind)
    if request.GET.get("mine"):
        records = records.filter(officer=request.user)
    if case := request.GET.get("case", "").strip():
        records = records.filter(case_id=int(case)) if case.isdigit() else records.none()
    return queries.with_listing_relations(records)


def record_list(request: HttpRequest) -> HttpResponse:
    name = request.GET.get("worklist", "")
    page, query = paginate(request, _filtered(request))
    return render(request, "evidence/record_list.html", {
        "page": page, "query": query, "kinds": RecordKind.choices, "worklist": name,
        "worklists": queries.WORKLISTS, "can_file": queries.can_file(request.user),
    })


def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    pack = registry().get(record.agency.pack_code, record.pack_version)
    missing = classify.missing_fields(record, classify.classification_fields(pack))
    can_file = queries.can_file(request.user)
    span = classify.true_span(record)
    candidates = None
    if span is not None and record.activity_id is None:
        candidates = activities_overlapping(record.agency_id, span[0] - dt.timedelta(hours=12),
                                            span[1] + dt.timedelta(hours=12), officer_id=None)
    return render(request, "evidence/record_detail.html", {
        "can_play": queries.visible_records(request.user, "play").filter(pk=record.pk).exists(),
        "record": record, "media": media_rows(record.media or {}), "events": history(request, record),
        "time_rows": timesources.rows(record.time_sources), "time_disagreement": _disagreement(record),
        "missing": missing, "can_file": can_file,
        "span": span, "link_form": LinkForm(agency=record.agency, candidates=candidates),
        "unlink_form": UnlinkForm(), "derivatives": {d.kind: d for d in record.derivatives.all()},
        "deadline_rule": next((d for d in pack.ingest.deadlines if d.id == record.deadline_rule), None),
    })


def _disagreement(record: Record) -> str:
    if record.time_conflict_seconds is None:
        return ""
    params = timesources.disagreement_params(record.time_sources, record.recorded_time_source,
                                             record.recorded_start, record.recorded_end)
    return timesources.describe(params) if params else ""


def record_classify(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    _require_filer(request, "record.classify")
    form = ClassifyForm(request.POST or None, instance=Record.objects.get(pk=record.pk), agency=record.agency)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.classify_record(record, data, actor=request.user, context=RequestContext.from_request(request))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Classification saved."))
            return redirect("record_detail", pk=record.pk)
    return render(request, "evidence/record_classify.html", {"record": record, "form": form})


@require_POST
def record_link(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    _require_filer(request, "record.link")
    form = LinkForm(request.POST, agency=record.agency)
    if form.is_valid():
        services.link_record(record, form.cleaned_data["activity"], actor=request.user,
                             context=RequestContext.from_request(request))
        messages.success(request, _("Linked to the activity."))
    else:
        messages.error(request, _("Choose an activity of your agency."))
    return redirect("record_detail", pk=record.pk)


@require_POST
def record_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    _require_filer(request, "record.unlink")
    form = UnlinkForm(request.POST)
    if form.is_valid():
        services.unlink_record(record, actor=request.user, reason=form.cleaned_data["reason"],
                               context=RequestContext.from_request(request))
        messages.success(request, _("The link was removed."))
    else:
        messages.error(request, _("Say why the link is wrong."))
    return redirect("record_detail", pk=record.pk)


def _playable_source(record: Record) -> tuple[object, str] | None:
    """What the browser is given: the original when it can play it, else the playback copy made from it."""
    derivatives = {d.kind: d for d in record.derivatives.select_related("blob")}
    if record.kind == RecordKind.AV:
        if Derivative.Kind.PROXY in derivatives:
            return derivatives[Derivative.Kind.PROXY].blob, "video/mp4"
        from evidence.probe import Probe

        if Probe(record.kind, record.media).browser_ready():
            return record.blob, mimetypes.guess_type(record.original_name)[0] or "video/mp4"
        return None
    if record.kind == RecordKind.PHOTO and Derivative.Kind.PREVIEW in derivatives:
        return derivatives[Derivative.Kind.PREVIEW].blob, "image/jpeg"
    if record.kind == RecordKind.AUDIO and Derivative.Kind.PREVIEW in derivatives:
        return derivatives[Derivative.Kind.PREVIEW].blob, "audio/mp4"
    return record.blob, mimetypes.guess_type(record.original_name)[0] or "application/octet-stream"


def _playable_record(request: HttpRequest, pk: int, verb: str) -> Record:
    """The record if the user may see its content now; otherwise the refusal is on record. Checked on every request,
    so a grant revoked or expired mid-stream stops the stream at its next range."""
    record = _record(request, pk)
    if not queries.visible_records(request.user, "play").filter(pk=pk).exists():
        record_denial(verb, actor=request.user, obj=record, context=RequestContext.from_request(request),
                      detail={"path": request.path, "reason": "no viewing right"})
        raise PermissionDenied(_("You may not view this record's content without an approved access request."))
    return record


def record_play(request: HttpRequest, pk: int) -> HttpResponse:
    """The viewing room: starting a view is an event, and only this page's token opens the stream."""
    from access.services import grant_covering
    from supervision.queries import round_covering

    record = _playable_record(request, pk, "record.view")
    grant = grant_covering(request.user, record.pk)
    review = None if grant else round_covering(request.user, record.pk)
    seq = services.record_view(record, actor=request.user, context=RequestContext.from_request(request),
                               grant_id=grant.pk if grant else None, review_id=review.pk if review else None)
    token = streaming.stream_token(record_id=record.pk, user_id=request.user.pk, view_seq=seq)
    source = _playable_source(record) if record.playable else None
    strip = record.derivatives.filter(kind=Derivative.Kind.CONTACT_STRIP).first()
    return render(request, "evidence/record_play.html", {
        "record": record, "token": token, "source": source, "view_seq": seq, "strip": strip,
        "viewer": request.user.full_name or request.user.get_username(), "now": timezone.localtime(),
    })


def record_stream(request: HttpRequest, pk: int, token: str, part: str = "main") -> HttpResponse:
    claims = streaming.read_token(token)
    if claims is None or claims["r"] != pk or claims["u"] != request.user.pk:
        record_denial("record.stream", actor=request.user, context=RequestContext.from_request(request),
                      detail={"path": request.path, "reason": "no view token"})
        raise PermissionDenied(_("Open the record's viewing page to play it."))
    record = _playable_record(request, pk, "record.stream")
    if part == "strip":
        strip = record.derivatives.filter(kind=Derivative.Kind.CONTACT_STRIP).select_related("blob").first()
        if strip is None:
            raise Http404
        return streaming.ranged_response(strip.blob, "image/jpeg", "")
    source = _playable_source(record)
    if source is None:
        raise Http404
    blob, content_type = source
    return streaming.ranged_response(blob, content_type, request.headers.get("Range", ""))


def upload(request: HttpRequest) -> HttpResponse:
    _require_filer(request, "record.upload")
    agency = record_agency(request.user)
    form = UploadDetailsForm(agency=agency)
    sessions = UploadSession.objects.filter(user=request.user).select_related("record").order_by("-created_at")[:50]
    return render(request, "evidence/upload.html", {
        "form": form, "sessions": sessions, "extensions": ",".join(f".{e}" for e in accepted_extensions()),
    })


def upload_status(request: HttpRequest) -> HttpResponse:
    sessions = UploadSession.objects.filter(user=request.user).select_related("record").order_by("-created_at")[:50]
    return render(request, "evidence/upload_status.html", {"sessions": sessions})


REPORT_LIMIT = 500


def four_properties_report(request: HttpRequest) -> HttpResponse:
    """四性检测 report (DA/T 70) for the records the list's filters select, as PDF."""
    from evidence.four_properties import PROPERTIES, assess
    from lawtrace.pdf import pdf_response, render_pdf

    records = list(_filtered(request)[: REPORT_LIMIT + 1])
    if not records:
        messages.error(request, _("No records match; choose some before asking for a report."))
        return redirect(f"{reverse('record_list')}?{request.GET.urlencode()}")
    if len(records) > REPORT_LIMIT:
        messages.error(request, _("A report covers at most %(n)s records; narrow the search.") % {"n": REPORT_LIMIT})
        return redirect(f"{reverse('record_list')}?{request.GET.urlencode()}")
    results = assess(records)
    with transaction.atomic():
        event = record_event("report.four_properties", actor=request.user, context=RequestContext.from_request(request),
                             detail={"records": [r.pk for r in records],
                                     "passed": sum(1 for r in results if r.passed)})
    content = render_pdf("evidence/four_properties.html", {
        "results": results, "properties": [str(p) for p in PROPERTIES.values()], "user": request.user,
        "made_at": timezone.localtime(), "event": event, "agency": record_agency(request.user),
        "passed": sum(1 for r in results if r.passed),
    }, request=request)
    return pdf_response(content, f"四性检测报告-{timezone.localtime():%Y%m%d%H%M}.pdf")
