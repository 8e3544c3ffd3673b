"""Helpers shared by list pages: pagination that keeps the filters in the links."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


def paginate(request: HttpRequest, queryset: QuerySet) -> tuple[Page, str]:
    page = Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def agency_or_refuse(request: HttpRequest, verb: str, message: str):
    """The agency whose records the user works with; anyone else (administrators, accounts without an agency) is
    refused, and the refusal is on record."""
    from django.core.exceptions import PermissionDenied

    from ledger.events import RequestContext, record_denial
    from org.visibility import record_agency

    agency = record_agency(request.user)
    if agency is None:
        record_denial(verb, actor=request.user, context=RequestContext.from_request(request),
                      detail={"path": request.path})
        raise PermissionDenied(message)
    return agency
