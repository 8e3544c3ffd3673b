"""Client address behind a trusted proxy, request id (for the event record and the logs), security headers, and
login-required by default."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from lawtrace import logs
from lawtrace.metrics import count_response

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Stations and connected systems (all of /api/v1/) authenticate with their own token on every request instead of a
# login session; the metrics endpoint answers only the monitoring addresses it is configured for.
PUBLIC_PATHS = ("/accounts/login/", "/static/", "/healthz", "/metrics", "/api/v1/")
# Headers only a proxy may set. From anybody else they are dropped, so nobody picks their own address (and with it
# whose failed logins count against whom) or claims a TLS connection they do not have.
_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                  "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED")

access_log = logging.getLogger("lawtrace.access")


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in settings.TRUSTED_PROXIES)


def forwarded_client(meta: dict) -> str | None:
    """The client address the trusted proxy reports: the right-most address in its header that is not itself one
    of our proxies (every hop appends, so addresses left of that were written by the client and prove nothing)."""
    header = "HTTP_" + settings.CLIENT_ADDRESS_HEADER.upper().replace("-", "_")
    hops = [hop for hop in meta.get(header, "").split(",") if hop.strip()]
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:
            return None
        if not any(parsed in network for network in settings.TRUSTED_PROXIES):
            return str(parsed)
    first = _address(hops[0]) if hops else None
    return str(first) if first is not None else None


class TrustedProxyMiddleware:
    """Puts the real client address in REMOTE_ADDR when, and only when, the request came from a configured proxy.

    Runs first, so the security middleware, login throttling, events and logs all see the same address.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        if settings.TRUSTED_PROXIES and is_trusted_proxy(peer):
            client = forwarded_client(meta)
            if client:
                meta["LAWTRACE_PROXY_ADDR"] = peer
                meta["REMOTE_ADDR"] = client
        else:
            for name in _PROXY_HEADERS:
                meta.pop(name, None)
        return self.get_response(request)


class RequestIdMiddleware:
    """Gives every request an id that events and log lines carry, taken from a proxy's X-Request-ID when
    well-formed, and writes one access-log line per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        started = time.monotonic()
        token = logs.bind(request_id=request.request_id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id
            user = getattr(request, "user", None)
            access_log.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "client_address": request.META.get("REMOTE_ADDR", ""),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            })
            count_response(response.status_code)
            return response
        finally:
            logs.unbind(token)


def content_security_policy() -> str:
    # Scripts only from our own files: no inline script, no inline handler, no eval. Style attributes stay allowed
    # because ECharts writes its tooltips as HTML with style attributes; they cannot run code or fetch anything
    # from elsewhere (img-src and connect-src are our own origin).
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "style-src-attr 'unsafe-inline'",
        "img-src 'self' data: blob:", "media-src 'self' blob:", "font-src 'self'", "connect-src 'self'",
        "frame-src 'self'", "frame-ancestors 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
    ])


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response (HSTS comes from Django's middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        return response


class LoginRequiredEverywhereMiddleware:
    """Nothing is reachable anonymously but the login page, static files, the health check and metrics."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PATHS):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
