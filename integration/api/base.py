"""What every integration endpoint shares: the token, the operation it must allow, the rate limit, refusals with
codes, and one event per call naming the system as its actor."""

from __future__ import annotations

from typing import Any, NoReturn, cast

from django.db import transaction
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, permissions
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from authz import routes
from integration import accounts
from integration.api.errors import ApiError, handle
from integration.api.throttle import TokenThrottle
from integration.operations import OPERATIONS
from ledger.events import RequestContext, record_denial, record_event

KEYWORD = "Bearer"


def context_of(request: Request) -> RequestContext:
    return RequestContext.from_request(request._request)


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``: looked up on every call, so a revoked token stops at once. A refused
    token is on record, naming the system where the token is known."""

    def authenticate(self, request: Request) -> tuple[Any, accounts.Caller] | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith(f"{KEYWORD} "):
            return None
        secret = header[len(KEYWORD) + 1:].strip()
        token = accounts.find_token(secret)
        code = accounts.refusal_of(token)
        if code is not None or token is None:
            principal = accounts.caller_for(token).principal if token is not None else None
            record_denial("api.authenticate", actor=principal, context=context_of(request),
                          agency_code=token.account.agency.code if token else "",
                          detail={"code": code, "path": request.path, "method": request.method,
                                  "token": token.prefix if token else secret[:10]})
            raise ApiError(code or "token_unknown")
        caller = accounts.caller_for(token)
        accounts.touch(token)
        return caller.principal, caller

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="lawtrace"'


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "SystemToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "http", "scheme": "bearer",
                "description": "令牌由系统管理员在“对接系统”页面或 manage.py integration token 签发"}


class HasOperation(permissions.BasePermission):
    """The token must carry the operation the view names for the method; a refusal is on record."""

    def has_permission(self, request: Request, view: Any) -> bool:
        caller = request.auth
        if not isinstance(caller, accounts.Caller):
            return False
        needed = view.operation_for(request.method)
        if needed is None or caller.may(needed) or any(caller.may(o) for o in view.also_allowed(needed)):
            return True
        record_denial("api.scope", actor=caller.principal, context=context_of(request),
                      detail={"code": "scope_missing", "operation": needed, "path": request.path,
                              "token": caller.token.prefix})
        raise ApiError("scope_missing", operation=needed)


class IntegrationView(APIView):
    """An integration endpoint. ``operations`` maps methods to the operation a token needs; ``authz_route`` is the
    route declaration (authz.routes.SYSTEM, and the object the URL names), checked after the token."""

    authz_route = routes.Route(routes.SYSTEM)
    authentication_classes = [TokenAuthentication]
    permission_classes = [HasOperation]
    throttle_classes = [TokenThrottle]
    parser_classes = [JSONParser]
    operations: dict[str, str] = {}

    def operation_for(self, method: str) -> str | None:
        return self.operations.get(method, self.operations.get("*"))

    def also_allowed(self, operation: str) -> tuple[str, ...]:
        # Writing cases includes reading what one writes.
        return ("cases.write",) if operation == "cases.read" else ()

    def get_exception_handler(self):
        return handle

    def permission_denied(self, request: Request, message: str | None = None, code: str | None = None) -> NoReturn:
        raise ApiError("not_authenticated" if not request.successful_authenticator else "scope_missing")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        spec = self.authz_route
        refused = routes.check(spec, request, kwargs)  # the object the URL names: 404 unseen, 403 on record
        if refused is not None:
            raise ApiError("method_not_allowed")

    @property
    def caller(self) -> accounts.Caller:
        return cast(accounts.Caller, self.request.auth)  # set by TokenAuthentication before any handler runs

    @property
    def principal(self):
        return self.caller.principal

    def context(self) -> RequestContext:
        return context_of(self.request)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        caller = request.auth
        if not isinstance(caller, accounts.Caller) or response.status_code in (401, 403):
            return response  # refusals by token, operation or rule are on record already, as denied events
        detail = {"method": request.method, "path": request.path, "status": response.status_code,
                  "token": caller.token.prefix}
        if response.status_code == 404:
            # Asking for what the token may not see (another agency's case) is a refusal, on record as one.
            record_denial("api.call", actor=caller.principal, context=context_of(request),
                          detail={**detail, "code": "not_found"})
            return response
        with transaction.atomic():
            record_event("api.call", actor=caller.principal, context=context_of(request), detail=detail)
        return response


def operation_labels() -> dict[str, str]:
    return {name: str(op.label) for name, op in OPERATIONS.items()}
