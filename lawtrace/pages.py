"""Helpers shared by pages: pagination that keeps the filters in the links, and an object's paged history. Who may
open a page is declared on the page itself (``authz.routes.route``)."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from ledger.events import events_for_object


class NearerEndPaginator(Paginator):
    """Reads a page in the back half from the end: the same rows in reverse order with a small offset, turned round.
    The last page of 240,000 records then costs what the first does (issue 27: PostgreSQL sorted every row and
    spilled 240 MB to disk to skip 237,599 of them); a page in the middle still skips half."""

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if bottom > self.count // 2 and isinstance(rows, QuerySet) and _ends_with_key(rows):
            from_end = list(rows.reverse()[self.count - top:self.count - bottom])
            return Page(from_end[::-1], number, self)
        return super().page(number)


def _ends_with_key(rows: QuerySet) -> bool:
    """Whether the order ends with the primary key, so reversed it is the same sequence backwards (ties broken the
    same way); only then may a page be read from the end."""
    order = rows.query.order_by or (rows.query.default_ordering and rows.model._meta.ordering) or ()
    last = order[-1] if order else None
    return isinstance(last, str) and last.lstrip("-") in ("pk", "id", rows.model._meta.pk.name)


def paginate(request: HttpRequest, queryset: QuerySet) -> tuple[Page, str]:
    page = NearerEndPaginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


HISTORY_PAGE_SIZE = 50


def history(request: HttpRequest, obj: Model) -> Page:
    """One page of an object's history for its detail page (``?history=N``), so every look at a record viewed a
    thousand times stays findable; the caller has already decided the user may see ``obj``."""
    return Paginator(events_for_object(obj), HISTORY_PAGE_SIZE).get_page(request.GET.get("history"))
