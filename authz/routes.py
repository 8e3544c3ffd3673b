"""Every page and API route declares what it needs, in one decorator (or a view class's ``authz_route``):

- a capability (``case.assign_handlers``), or ``PUBLIC`` (login, health check), ``SIGNED_IN`` (the start page, one's
  own password), ``STATION`` (the collection-station API, which authenticates each request by its token) or
  ``MONITOR`` (the metrics scraped by monitoring: answered only to the networks ``LAWTRACE_METRICS_ALLOWED`` names,
  signed in or not), ``SYSTEM`` (the integration API, authenticated by a connected system's token; see
  ``integration/``);
- optionally the object it acts on: the model's label, the URL argument that names it and the action
  (``on="evidence.record", action="play"``);
- optionally the methods it answers (others get 405, before anything else is revealed), the capability a POST
  needs where it differs (``post=``), and the act a refusal is recorded as where it is not the capability
  (``verb="record.stream"``).

The decorator refuses, in this order: no capability → 403 (on record, naming the path); the object is not among the
rows the user may see → 404; it is, but not among those the action allows → 403 (on record, naming the object).
``tests/test_access_matrix.py`` reads these declarations for every URL pattern: a route without one fails, and what
each role gets is derived from them and checked against real responses.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.translation import gettext_lazy, gettext_noop

from authz import capabilities, scopes
from authz.denied import Denied
from ledger.wording import Wording

PUBLIC = "public"
SIGNED_IN = "signed_in"
STATION = "station"
MONITOR = "monitor"
SYSTEM = "system"
PSEUDO = frozenset({PUBLIC, SIGNED_IN, STATION, MONITOR, SYSTEM})


@dataclass(frozen=True)
class Route:
    capability: str
    methods: tuple[str, ...] | None = None
    on: str | None = None
    key: str = "pk"
    action: str = scopes.VIEW
    post: str | None = None  # the capability a POST needs, where it differs (a list page that also creates)
    verb: str | None = None  # the act a refusal is recorded as, where it is not the capability's name

    def needs(self, method: str) -> str:
        return self.post if method == "POST" and self.post else self.capability


def route(capability: str, *, methods: tuple[str, ...] | None = None, on: str | None = None, key: str = "pk",
          action: str = scopes.VIEW, post: str | None = None, verb: str | None = None) -> Callable:
    spec = Route(capability, tuple(methods) if methods else None, on.lower() if on else None, key, action, post,
                 verb)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refused = check(spec, request, kwargs)
            return refused if refused is not None else view(request, *args, **kwargs)

        guarded.authz_route = spec
        return guarded

    return decorate


def declaration(callback: Callable) -> Route | None:
    """The route declaration of a URL pattern's callback (function views, Django and DRF class-based views)."""
    for candidate in (callback, getattr(callback, "view_class", None), getattr(callback, "cls", None)):
        spec = getattr(candidate, "authz_route", None)
        if isinstance(spec, Route):
            return spec
    return None


def check(spec: Route, request: HttpRequest, kwargs: dict) -> HttpResponse | None:
    """A response refusing the request (405, the log-in page), None to go on; raises 404 or ``Denied``."""
    if spec.methods and request.method not in spec.methods:
        return HttpResponseNotAllowed(spec.methods)
    if spec.capability == PUBLIC:
        return None
    if spec.capability == MONITOR:
        if monitoring(request):
            return None
        raise Denied("metrics.read", gettext_lazy("Metrics are answered only to the monitoring networks."))
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    needed = spec.needs(request.method)
    if needed not in PSEUDO and not capabilities.can(user, needed):
        raise Denied(spec.verb or needed, capabilities.refusal(needed), capability=needed)
    if spec.on is not None:
        seen, allowed = _reach(spec.on, spec.action, user, kwargs[spec.key])
        if not seen:
            raise Http404
        if not allowed:
            obj = _rows(spec.on).filter(pk=kwargs[spec.key]).first()
            raise Denied(spec.verb or needed, Wording(gettext_noop("You may not do this with %(object)s."),
                                                      object=str(obj)), obj=obj, capability=needed)
    return None


def _reach(label: str, action: str, user: Any, key: Any) -> tuple[bool, bool]:
    """Whether the user sees the object (else 404) and may do the route's action with it, in one query: a video's
    every Range request passes here."""
    rows = _rows(label).filter(pk=key)
    if action == scopes.VIEW:
        seen = scopes.restrict(rows, user).exists()
        return seen, seen
    found = rows.annotate(seen=Exists(scopes.restrict(_rows(label), user).filter(pk=OuterRef("pk"))),
                          allowed=Exists(scopes.restrict(_rows(label), user, action)
                                         .filter(pk=OuterRef("pk")))).values_list("seen", "allowed").first()
    return (bool(found[0]), bool(found[1])) if found else (False, False)


def monitoring(request: HttpRequest) -> bool:
    """Whether the request comes from a network monitoring may scrape from (the client address as the trusted proxy
    middleware established it)."""
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED)


def may(user: Any, capability: str, obj: Any = None, action: str = scopes.VIEW) -> bool:
    """Whether to offer the user a link or a button: the capability, and for an object the action on it."""
    return capabilities.can(user, capability) and (obj is None or scopes.allowed(obj, user, action))


def _rows(label: str):
    return apps.get_model(label)._default_manager.all()
