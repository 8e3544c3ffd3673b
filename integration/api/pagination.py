"""Cursor pagination for every list: an opaque cursor over a unique, increasing key, so a page never shifts when rows
are added and no list is counted or loaded whole."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination

from integration.api.errors import ApiError


class IdCursor(CursorPagination):
    ordering = "pk"
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 500

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception as error:  # DRF's NotFound for a broken cursor: say what is wrong, with our code
            raise ApiError("invalid_cursor") from error
