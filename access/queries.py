"""Access requests for other components' pages (dashboards), through the authorization registry."""

from __future__ import annotations

from access import services
from access.models import AccessRequest
from org.models import User


def awaiting_decision(user: User, limit: int = 8) -> list[AccessRequest]:
    """Pending requests whose next step this user may decide (pending requests are few: checked one by one)."""
    pending = (AccessRequest.objects.restrict(user).filter(status=AccessRequest.Status.PENDING)
               .select_related("case").prefetch_related("decisions").order_by("submitted_at"))
    return [r for r in pending[:200] if services.can_decide(user, r)][:limit]


def handled_open(user: User, limit: int = 8):
    """Requests this archivist handles that are still pending or granted."""
    return (AccessRequest.objects.restrict(user).filter(handled_by=user, status__in=[
        AccessRequest.Status.PENDING, AccessRequest.Status.GRANTED]).order_by("-submitted_at")[:limit])
