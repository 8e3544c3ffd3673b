from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from authz.routes import route
from policy.presenter import topics
from policy.registry import PackNotFound, registry


@route("rules.read")
def agency_rules(request: HttpRequest) -> HttpResponse:
    """Read-only: the rules of the user's own agency, grouped by topic, each with its citation."""
    agency = request.user.agency
    versions = registry().versions(agency.pack_code)
    try:
        pack = registry().get(agency.pack_code, int(request.GET["version"])) if "version" in request.GET \
            else registry().in_force(agency.pack_code)
    except (PackNotFound, ValueError) as exc:
        raise Http404 from exc
    return render(request, "policy/agency_rules.html", {
        "agency": agency, "pack": pack, "versions": versions, "topics": topics(pack),
    })
