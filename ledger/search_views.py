"""The audit administrator's event search, its ready-made audits and its exports."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from authz.routes import route
from ledger import audits, exports, search
from ledger.display import action_names
from ledger.events import RequestContext
from ledger.models import Event


def _selection(request: HttpRequest, params) -> tuple[search.Filters, str, QuerySet[Event]]:
    filters = search.parse(params)
    audit = params.get("audit", "")
    audit = audit if audit in audits.AUDITS else ""
    return filters, audit, audits.narrowed(audit, search.matching(request.user, filters))


@route("ledger.audit", methods=("GET",))
def event_search(request: HttpRequest) -> HttpResponse:
    filters, audit, events = _selection(request, request.GET)
    agencies = search.agencies_of(request.user).agencies
    params = request.GET.copy()
    for key in ("after", "before"):
        params.pop(key, None)
    context = {
        "filters": filters, "params": request.GET, "query": params.urlencode(), "audit": audit,
        "audits": audits.AUDITS, "agencies": agencies, "agency_names": dict(agencies),
        "results": Event.Result.choices, "actions": sorted(set(action_names().values())),
        "explained": _explained(audit),
        "no_such_action": bool(filters.action) and not search.verbs_named(filters.action),
    }
    if audit == "bulk":
        context["heavy"] = audits.bulk(events, since=filters.since, until=filters.until)
        context["threshold"] = _threshold()
    else:
        context["page"] = search.page(events, after=search.cursor(request.GET.get("after")),
                                      before=search.cursor(request.GET.get("before")))
    return render(request, "ledger/search.html", context)


@route("ledger.audit", methods=("POST",))
def event_export(request: HttpRequest) -> FileResponse:
    filters, audit, events = _selection(request, request.POST)
    fmt = "xlsx" if request.POST.get("format") == "xlsx" else "csv"
    agencies = search.agencies_of(request.user).agencies
    kept = {key: value for key, value in request.POST.items() if key not in ("csrfmiddlewaretoken", "format") and value}
    handle, _count, _cut = exports.export(events, fmt=fmt, filters=kept, agency_names=dict(agencies),
                                          actor=request.user, context=RequestContext.from_request(request))
    name = f"events-{timezone.localtime():%Y%m%d-%H%M%S}.{fmt}"
    content_type = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                    else "text/csv; charset=utf-8")
    return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)


def _threshold() -> int:
    from django.conf import settings

    return settings.BULK_READS_PER_DAY


def _explained(audit: str) -> str:
    if not audit:
        return ""
    text = audits.EXPLAINED[audit]
    if audit == "after_hours":
        return str(text) % {"hours": audits.working_hours_text()}
    if audit == "bulk":
        return str(text) % {"n": _threshold()}
    return str(text)
