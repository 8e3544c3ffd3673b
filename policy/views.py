from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from authz.routes import route
from policy import current
from policy.presenter import topics


@route("rules.read")
def agency_rules(request: HttpRequest) -> HttpResponse:
    """Read-only: the rules of the user's own agency, grouped by topic, each with its citation; topics the rulebook
    does not regulate are named as such."""
    agency = request.user.agency
    versions = current.versions(agency)
    try:
        number = int(request.GET["version"]) if "version" in request.GET else None
    except ValueError as exc:
        raise Http404 from exc
    chosen = current.in_force(agency) if number is None else next((v for v in versions if v.version == number), None)
    if chosen is None:
        raise Http404
    return render(request, "policy/agency_rules.html", {
        "agency": agency, "pack": chosen, "versions": versions, "topics": topics(chosen),
    })
