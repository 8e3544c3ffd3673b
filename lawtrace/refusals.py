"""Refusals of the authorization layer go on record: a route or a page that raises ``authz.denied.Denied`` leaves a
denied event naming what was refused (the object, or the path), then Django answers 403."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from authz.denied import Denied
from ledger.events import RequestContext, record_denial


class DeniedOnRecordMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, Denied) and request.user.is_authenticated:
            record_denial(exception.verb, actor=request.user, obj=exception.obj,
                          context=RequestContext.from_request(request),
                          detail={"path": request.path, "reason": exception.reason,
                                  **({"capability": exception.capability} if exception.capability else {})})
        return None  # Django's handler answers 403 with the reason
