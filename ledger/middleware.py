"""A blocked ledger answers every change with a clear Chinese refusal (503), not a server error."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template import loader

from ledger.guard import LedgerBlocked


class LedgerBlockedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, LedgerBlocked):
            return None
        # Rendered without the request's context: the refusal must not need the database it refuses to change.
        body = loader.get_template("ledger/blocked.html").render({"reason": exception.refusal()})
        return HttpResponse(body, status=503, headers={"Retry-After": "3600"})
