from __future__ import annotations

from django import template

from authz.roles import Role
from retention import queries, services
from retention.forms import HoldForm
from retention.models import Schedule

register = template.Library()


@register.inclusion_tag("retention/record_panel.html", takes_context=True)
def record_retention(context, record) -> dict:
    """The record page's retention panel: end date, rule and article, holds, and what the user may do."""
    user = context["request"].user
    roles = user.role_set
    return {
        "record": record, "schedule": Schedule.objects.filter(record=record).first(),
        "holds": queries.holds_of(user, record.pk), "can_hold": bool(roles & services.HOLDERS),
        "is_head": Role.HEAD in roles, "hold_form": HoldForm(agency=record.agency),
        "tombstone": getattr(record, "tombstone", None) if record.purged_at else None,
    }
