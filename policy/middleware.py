"""Within one request, which pack governs each agency is read from the ledger once (``policy.current``)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from policy import current


class RememberSchedulesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with current.remembered_schedules():
            return self.get_response(request)
