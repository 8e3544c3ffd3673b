"""Helpers shared by pages: pagination that keeps the filters in the links, and an object's paged history."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest


def paginate(request: HttpRequest, queryset: QuerySet) -> tuple[Page, str]:
    page = Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


HISTORY_PAGE_SIZE = 50


def history(request: HttpRequest, obj: Model) -> Page:
    """One page of an object's history for its detail page (``?history=N``), so every look at a record viewed a
    thousand times stays findable; the caller has already decided the user may see ``obj``."""
    from ledger.events import events_for_object

    return Paginator(events_for_object(obj), HISTORY_PAGE_SIZE).get_page(request.GET.get("history"))


def agency_or_refuse(request: HttpRequest, verb: str, message: str):
    """The agency whose records the user works with; anyone else (administrators, accounts without an agency) is
    refused, and the refusal is on record."""
    from django.core.exceptions import PermissionDenied

    from authz.roles import staff_agency
    from ledger.events import RequestContext, record_denial

    agency = staff_agency(request.user)
    if agency is None:
        record_denial(verb, actor=request.user, context=RequestContext.from_request(request),
                      detail={"path": request.path})
        raise PermissionDenied(message)
    return agency
