"""Access requests for other components' pages (dashboards), through the choke point."""

from __future__ import annotations

from access import services
from access.models import AccessRequest
from access.scope import restrict
from org.models import User


def awaiting_decision(user: User, limit: int = 8) -> list[AccessRequest]:
    """Pending requests whose next step this user may decide (pending requests are few: checked one by one)."""
    pending = (restrict(AccessRequest.objects.filter(status=AccessRequest.Status.PENDING), user)
               .select_related("case").prefetch_related("decisions").order_by("submitted_at"))
    return [r for r in pending[:200] if services.can_decide(user, r)][:limit]


def handled_open(user: User, limit: int = 8):
    """Requests this archivist handles that are still pending or granted."""
    return (restrict(AccessRequest.objects.filter(handled_by=user, status__in=[
        AccessRequest.Status.PENDING, AccessRequest.Status.GRANTED]), user).order_by("-submitted_at")[:limit])
