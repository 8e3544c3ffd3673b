from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from authz import scopes
from authz.routes import may, route
from cases.forms import apply_service_errors
from cases.queries import activities_overlapping, visible_activities
from evidence import classify, derivatives, queries, services, streaming, timesources
from evidence.forms import ClassifyForm, LinkForm, RecordFilterForm, UnlinkForm, UploadDetailsForm
from evidence.four_properties import PROPERTIES, assess
from evidence.models import Derivative, Record, UploadSession
from evidence.naming import accepted_extensions
from evidence.probe import media_rows
from evidence.tasks import make_derivatives
from lawtrace.pages import history, paginate
from lawtrace.params import object_id
from lawtrace.pdf import pdf_response, render_pdf
from ledger.events import RequestContext, record_denial, record_event
from policy import current
from policy.vocabulary import ClassificationField, RecordKind


def _record(request: HttpRequest, pk: int, action: str = "view") -> Record:
    return get_object_or_404(queries.with_listing_relations(queries.visible_records(request.user, action)), pk=pk)


def _filtered(request: HttpRequest, form: RecordFilterForm | None = None):
    """The records the list shows for the request's filters; an invalid filter shows none (and says why on the
    form) rather than quietly dropping the condition."""
    form = form or RecordFilterForm(request.GET, user=request.user)
    name = request.GET.get("worklist", "")
    records = queries.worklist(request.user, name) if name in queries.WORKLISTS else \
        queries.visible_records(request.user)
    records = queries.search_records(records, request.GET.get("q", ""))
    if kind := request.GET.get("kind"):
        records = records.filter(kind=kind)
    if request.GET.get("mine"):
        records = records.filter(officer=request.user)
    if case := object_id(request.GET.get("case")):
        records = records.filter(case_id=case)
    if not form.is_valid():
        return queries.with_listing_relations(records.none())
    data = form.cleaned_data
    records = queries.recorded_by(records, officer=data["officer"], device=data["device"],
                                  start=data["recorded_from"], end=data["recorded_to"])
    return queries.with_listing_relations(records)


@route("record.view")
def record_list(request: HttpRequest) -> HttpResponse:
    name = request.GET.get("worklist", "")
    form = RecordFilterForm(request.GET, user=request.user)
    page, query = paginate(request, _filtered(request, form))
    return render(request, "evidence/record_list.html", {
        "page": page, "query": query, "kinds": RecordKind.choices, "worklist": name, "filters": form,
        "worklists": queries.WORKLISTS,
    })


@route("record.view", on="evidence.record")
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    pack = current.version_of(record.agency, record.pack_version)
    missing = [ClassificationField(name).label if name in ClassificationField.values else name
               for name in classify.missing_fields(record, classify.classification_fields(pack))]
    span = classify.true_span(record)
    candidates = None
    if span is not None and record.activity_id is None:
        candidates = activities_overlapping(record.agency_id, span[0] - dt.timedelta(hours=12),
                                            span[1] + dt.timedelta(hours=12), officer_id=None).filter(
            pk__in=visible_activities(request.user).values("pk"))
    return render(request, "evidence/record_detail.html", {
        "can_play": may(request.user, "record.play", record, "play"),
        "record": record, "media": media_rows(record.media or {}), "events": history(request, record),
        "time_rows": timesources.rows(record.time_sources), "time_disagreement": _disagreement(record),
        "missing": missing, "can_file": may(request.user, "record.file", record, "classify"),
        "span": span, "link_form": LinkForm(user=request.user, candidates=candidates),
        "no_candidates": candidates is not None and not candidates.exists(),
        "unlink_form": UnlinkForm(), "derivatives": {d.kind: d for d in record.derivatives.all()},
        "deadline_rule": next((d for d in (pack.ingest.deadlines if pack.ingest else [])
                               if d.id == record.deadline_rule), None),
    })


def _disagreement(record: Record) -> str:
    if record.time_conflict_seconds is None:
        return ""
    params = timesources.disagreement_params(record.time_sources, record.recorded_time_source,
                                             record.recorded_start, record.recorded_end)
    return timesources.describe(params) if params else ""


@route("record.file", on="evidence.record", action="classify", verb="record.classify")
def record_classify(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk, "classify")
    form = ClassifyForm(request.POST or None, instance=Record.objects.get(pk=record.pk), user=request.user)
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


@route("record.file", methods=("POST",), on="evidence.record", action="classify", verb="record.link")
def record_link(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk, "classify")
    form = LinkForm(request.POST, user=request.user)
    if form.is_valid():
        services.link_record(record, form.cleaned_data["activity"], actor=request.user,
                             context=RequestContext.from_request(request))
        messages.success(request, _("Linked to the activity."))
    else:
        messages.error(request, _("Choose an activity of your agency."))
    return redirect("record_detail", pk=record.pk)


@route("record.file", methods=("POST",), on="cases.activity", verb="record.link")
def activity_link_records(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the chosen clips the activity page offers; only unlinked records the user may file are taken."""
    activity = get_object_or_404(visible_activities(request.user), pk=pk)
    offered = {record.pk: record for record in queries.unlinked_near(request.user, activity)}
    chosen = [offered[int(value)] for value in request.POST.getlist("record") if value.isdigit()
              and int(value) in offered]
    if not chosen:
        messages.error(request, _("Tick the records to link."))
    else:
        linked = services.link_records(chosen, activity, actor=request.user,
                                       context=RequestContext.from_request(request))
        messages.success(request, _("Records linked to the activity: %(count)d.") % {"count": linked})
    return redirect("activity_detail", pk=activity.pk)


@route("record.file", methods=("POST",), on="evidence.record", action="classify", verb="record.unlink")
def record_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk, "classify")
    form = UnlinkForm(request.POST)
    if form.is_valid():
        services.unlink_record(record, actor=request.user, reason=form.cleaned_data["reason"],
                               context=RequestContext.from_request(request))
        messages.success(request, _("The link was removed."))
    else:
        messages.error(request, _("Say why the link is wrong."))
    return redirect("record_detail", pk=record.pk)


def _viewing_copy(record: Record) -> tuple[object, str] | None:
    """What the browser is given: the playback copy made from the original, never the original's bytes (000/1/4:
    viewing is not copying). Until the copy exists the background job is asked to make it."""
    source = derivatives.viewing_copy(record)
    if source is None and record.playable and derivatives.shows(record):
        transaction.on_commit(lambda: make_derivatives.enqueue(record.pk))
    return source


# Content is checked on every request (the route's ``play`` action), so a grant revoked or expired mid-stream stops
# the stream at its next range.
@route("record.play", on="evidence.record", action="play", verb="record.view")
def record_play(request: HttpRequest, pk: int) -> HttpResponse:
    """The viewing room: starting a view is an event, and only this page's token opens the stream."""
    record = _record(request, pk, "play")
    seq = services.record_view(record, actor=request.user, context=RequestContext.from_request(request),
                               basis=scopes.basis(record, request.user, "play"))
    token = streaming.stream_token(record_id=record.pk, user_id=request.user.pk, view_seq=seq)
    source = _viewing_copy(record) if record.playable else None
    strip = record.derivatives.filter(kind=Derivative.Kind.CONTACT_STRIP).first()
    return render(request, "evidence/record_play.html", {
        "record": record, "token": token, "source": source, "view_seq": seq, "strip": strip,
        "shown": derivatives.shows(record),
        "viewer": request.user.full_name or request.user.get_username(), "now": timezone.localtime(),
    })


@route("record.play", on="evidence.record", action="play", verb="record.stream")
def record_stream(request: HttpRequest, pk: int, token: str, part: str = "main") -> HttpResponse:
    claims = streaming.read_token(token)
    if claims is None or claims["r"] != pk or claims["u"] != request.user.pk:
        record_denial("record.stream", actor=request.user, context=RequestContext.from_request(request),
                      detail={"path": request.path, "reason": "no view token"})
        raise PermissionDenied(_("Open the record's viewing page to play it."))
    record = _record(request, pk, "play")
    if part == "strip":
        strip = record.derivatives.filter(kind=Derivative.Kind.CONTACT_STRIP).select_related("blob").first()
        if strip is None:
            raise Http404
        return streaming.ranged_response(strip.blob, "image/jpeg", "")
    source = derivatives.viewing_copy(record)
    if source is None:
        raise Http404
    blob, content_type = source
    return streaming.ranged_response(blob, content_type, request.headers.get("Range", ""))


@route("record.file", verb="record.upload")
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadDetailsForm(user=request.user)
    sessions = UploadSession.objects.filter(user=request.user).select_related("record").order_by("-created_at")[:50]
    return render(request, "evidence/upload.html", {
        "form": form, "sessions": sessions, "extensions": ",".join(f".{e}" for e in accepted_extensions()),
    })


@route("record.file", verb="record.upload")
def upload_status(request: HttpRequest) -> HttpResponse:
    sessions = UploadSession.objects.filter(user=request.user).select_related("record").order_by("-created_at")[:50]
    return render(request, "evidence/upload_status.html", {"sessions": sessions})


REPORT_LIMIT = 500


@route("record.view")
def four_properties_report(request: HttpRequest) -> HttpResponse:
    """四性检测 report (DA/T 70) for the records the list's filters select, as PDF."""
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
        "made_at": timezone.localtime(), "event": event, "agency": request.user.agency,
        "passed": sum(1 for r in results if r.passed),
    }, request=request)
    return pdf_response(content, f"四性检测报告-{timezone.localtime():%Y%m%d%H%M}.pdf")
