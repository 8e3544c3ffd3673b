from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from authz.routes import may, route
from cases.models import ActivityOfficer
from cases.queries import visible_cases
from evidence.queries import visible_records
from lawtrace.pages import history, paginate
from lawtrace.pdf import pdf_response, render_pdf
from ledger.events import RequestContext
from policy.registry import registry
from retention import disc_services, queries
from retention.models import Carrier, Disc
from retention.services import RetentionRefused

DISC = "retention.disc"


def _discs(request: HttpRequest, action: str = "view"):
    """Discs whose every record the user may see (a marked record hides its disc too)."""
    return Disc.objects.restrict(request.user, action).select_related("maker", "case")


@route("disc.view", post="disc.make", verb="retention.view")
def disc_list(request: HttpRequest) -> HttpResponse:
    held = queries.active_holds(request.user)
    if request.method == "POST":
        case = visible_cases(request.user).filter(pk=request.POST.get("case") or 0).first()
        records = visible_records(request.user).filter(pk__in=request.POST.getlist("records"))
        if case is not None and not records.exists():
            records = visible_records(request.user, "burn").filter(case=case)
        try:
            disc = disc_services.request_disc(list(records), title=request.POST.get("title", ""), case=case,
                                              actor=request.user, context=RequestContext.from_request(request))
        except RetentionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("The disc image is being made; this page shows when it is ready."))
            return redirect("disc_detail", disc.pk)
    page, query = paginate(request, _discs(request))
    return render(request, "retention/disc_list.html", {
        "page": page, "query": query, "cases": visible_cases(request.user).order_by("-opened_on")[:200],
        "held": held[:200], "due": disc_services.checks_due(request.user.agency_id) if request.user.agency_id
        else []})


@route("disc.view", on=DISC)
def disc_detail(request: HttpRequest, pk: int) -> HttpResponse:
    disc = get_object_or_404(_discs(request), pk=pk)
    needed = disc_services.copies_required(disc.agency)
    return render(request, "retention/disc_detail.html", {
        "disc": disc, "carriers": disc.carriers.prefetch_related("checks__checked_by"),
        "can_download": may(request.user, "disc.download", disc, "download"),
        "copy_numbers": range(1, needed + 1), "records": disc.records.order_by("recorded_start", "pk"),
        "events": history(request, disc), "today": timezone.localdate(),
    })


@route("disc.make", methods=("POST",), on=DISC, verb="retention.carriers")
def disc_carriers(request: HttpRequest, pk: int) -> HttpResponse:
    disc = get_object_or_404(_discs(request), pk=pk)
    pairs = list(zip(request.POST.getlist("serial"), request.POST.getlist("place"), strict=False))
    try:
        disc_services.register_carriers(disc, pairs, actor=request.user, context=RequestContext.from_request(request))
    except RetentionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Copies registered."))
    return redirect("disc_detail", disc.pk)


@route("disc.make", methods=("POST",), on="retention.carrier", verb="retention.read_check")
def disc_read_check(request: HttpRequest, pk: int) -> HttpResponse:
    carrier = get_object_or_404(Carrier.objects.restrict(request.user), pk=pk)
    try:
        disc_services.record_read_check(carrier, readable=request.POST.get("readable") == "yes",
                                        note=request.POST.get("note", ""), actor=request.user,
                                        context=RequestContext.from_request(request))
    except RetentionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Read check recorded."))
    return redirect("disc_detail", carrier.disc_id)


@route("disc.download", on=DISC, action="download", verb="retention.disc_download")
def disc_image(request: HttpRequest, pk: int) -> HttpResponse:
    """The image for burning: a copy leaving the system, allowed only while every record on it is preserved long
    term or under a copying grant (000/2/16), handed out only while it has the hash recorded when it was made, and
    on the record like any other copy."""
    disc = get_object_or_404(_discs(request, "download"), pk=pk)
    try:
        handle = disc_services.open_image(disc, actor=request.user, context=RequestContext.from_request(request))
    except RetentionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("disc_detail", disc.pk)
    return FileResponse(handle, as_attachment=True, filename=disc.image_name)


@route("disc.view", on=DISC)
def disc_label(request: HttpRequest, pk: int) -> HttpResponse:
    disc = get_object_or_404(_discs(request), pk=pk)
    copies = registry().in_force(disc.agency.pack_code).long_term.copies
    return pdf_response(render_pdf("retention/disc_label.html", {
        "disc": disc, "carriers": disc.carriers.all(), "fields": copies.label_fields if copies else [],
        "cite": copies.cite if copies else []}, request=request), f"disc-{disc.pk}-label.pdf")


@route("disc.view", on=DISC)
def disc_form(request: HttpRequest, pk: int) -> HttpResponse:
    """执法音像记录设备摄录内容刻盘存储记录表 (001/3/9), with a signature line for every case officer and the head."""
    disc = get_object_or_404(_discs(request), pk=pk)
    form = registry().in_force(disc.agency.pack_code).long_term.disc_record_form
    records = (disc.records.select_related("officer", "device", "activity").order_by("recorded_start", "pk")
               .prefetch_related(Prefetch("activity__participants",
                                          queryset=ActivityOfficer.objects.select_related("user"))))
    signers = list(disc.case.handlers.all()) if disc.case else []
    return pdf_response(render_pdf("retention/disc_form.html", {
        "disc": disc, "records": records, "form": form, "signers": signers}, request=request),
        f"disc-{disc.pk}-record-form.pdf")
