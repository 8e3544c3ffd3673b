"""Helpers shared by pages: pagination that keeps the filters in the links, and an object's paged history. Who may
open a page is declared on the page itself (``authz.routes.route``)."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from ledger.events import events_for_object


def paginate(request: HttpRequest, queryset: QuerySet) -> tuple[Page, str]:
    page = Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


HISTORY_PAGE_SIZE = 50


def history(request: HttpRequest, obj: Model) -> Page:
    """One page of an object's history for its detail page (``?history=N``), so every look at a record viewed a
    thousand times stays findable; the caller has already decided the user may see ``obj``."""
    return Paginator(events_for_object(obj), HISTORY_PAGE_SIZE).get_page(request.GET.get("history"))
