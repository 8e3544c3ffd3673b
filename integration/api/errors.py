"""Every refusal of the integration API: an HTTP 4xx with a stable machine code and a Chinese message.

``{"code": "scope_missing", "message": "…", "errors": {field: [messages]}}`` — systems branch on ``code``; ``message``
is for the people reading their logs; ``errors`` names the fields of a refused request.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from authz.denied import Denied
from ledger.events import RequestContext, record_denial

MESSAGES: dict[str, tuple[int, Any]] = {
    "not_authenticated": (401, _("Send the system's token: Authorization: Bearer <token>.")),
    "token_unknown": (401, _("The token is not known.")),
    "token_expired": (401, _("The token has expired; ask the system administrator for a new one.")),
    "token_revoked": (401, _("The token has been revoked.")),
    "system_disabled": (401, _("The connected system is disabled.")),
    "scope_missing": (403, _("The token does not allow this operation.")),
    "refused": (403, _("The rules of the agency do not allow this.")),
    "not_found": (404, _("Not found, or not visible to this token.")),
    "method_not_allowed": (405, _("This address does not answer this method.")),
    "validation_failed": (400, _("The request is incomplete or wrong; see errors.")),
    "malformed_request": (400, _("The request body cannot be read.")),
    "unsupported_media_type": (415, _("Send JSON (Content-Type: application/json).")),
    "idempotency_key_reused": (422, _("This Idempotency-Key was used for another request.")),
    "idempotency_in_progress": (409, _("A request with this Idempotency-Key is still being processed.")),
    "external_id_taken": (409, _("An object with this external id already exists.")),
    "invalid_cursor": (400, _("The cursor is not valid.")),
    "rate_limited": (429, _("Too many calls with this token; wait and retry.")),
}


class ApiError(exceptions.APIException):
    """A refusal named by its code; ``extra`` goes into the body beside code and message."""

    def __init__(self, code: str, *, errors: dict | None = None, **extra: Any) -> None:
        self.status_code, message = MESSAGES[code]
        self.code, self.errors, self.extra = code, errors, extra
        super().__init__(str(message), code)


def body(code: str, message: Any = None, errors: Any = None, **extra: Any) -> dict:
    payload: dict[str, Any] = {"code": code, "message": str(message if message is not None else MESSAGES[code][1])}
    if errors:
        payload["errors"] = errors
    payload.update(extra)
    return payload


def _field_errors(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {("non_field_errors" if k == "__all__" else k): [str(m) for m in v]
                for k, v in error.message_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


def _translate(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {k: _translate(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_translate(v) for v in detail]
    return str(detail)


def handle(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler for the integration views: the code, the message, and refusals on record."""
    request = context.get("request")
    if isinstance(exc, ApiError):
        return Response(body(exc.code, exc.detail, exc.errors, **exc.extra), status=exc.status_code)
    if isinstance(exc, Denied):
        if request is not None and getattr(request, "user", None) is not None and request.user.is_authenticated:
            record_denial(exc.verb, actor=request.user, obj=exc.obj,
                          context=RequestContext.from_request(request._request),
                          detail={"path": request.path, "reason": exc.reason, "code": "refused",
                                  **({"capability": exc.capability} if exc.capability else {})})
        return Response(body("refused", exc.reason), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Response(body("not_found"), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoValidationError):
        # An action function's refusal: it is on record already (record_denial) when the rules refused it.
        code = "refused" if type(exc).__name__.endswith("Refused") else "validation_failed"
        errors = _field_errors(exc)
        message = MESSAGES[code][1] if code == "validation_failed" else next(iter(errors.values()))[0]
        return Response(body(code, message, errors), status=MESSAGES[code][0])
    if type(exc).__name__.endswith("Refused"):  # decisions, retention: refusals written by their action functions
        return Response(body("refused", str(exc)), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, exceptions.ValidationError):
        return Response(body("validation_failed", errors=_translate(exc.detail)), status=400)
    if isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)
        response = Response(body("rate_limited", retry_after=wait), status=429)
        if wait is not None:
            response["Retry-After"] = str(int(wait) + 1)
        return response
    simple = {exceptions.NotAuthenticated: "not_authenticated", exceptions.AuthenticationFailed: "token_unknown",
              exceptions.MethodNotAllowed: "method_not_allowed", exceptions.ParseError: "malformed_request",
              exceptions.UnsupportedMediaType: "unsupported_media_type", exceptions.PermissionDenied: "refused",
              PermissionDenied: "refused"}
    for kind, code in simple.items():
        if isinstance(exc, kind):
            response = Response(body(code), status=MESSAGES[code][0])
            if code in ("not_authenticated", "token_unknown"):
                response["WWW-Authenticate"] = 'Bearer realm="lawtrace"'
            return response
    return None
