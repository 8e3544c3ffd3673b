from __future__ import annotations

from django import template

from authz.capabilities import can
from retention import queries
from retention.forms import HoldForm
from retention.models import Schedule

register = template.Library()


@register.inclusion_tag("retention/record_panel.html", takes_context=True)
def record_retention(context, record) -> dict:
    """The record page's retention panel: end date, rule and article, holds, and what the user may do."""
    user = context["request"].user
    return {
        "record": record, "schedule": Schedule.objects.filter(record=record).first(),
        "holds": queries.holds_of(user, record.pk), "proposal": queries.latest_proposal(user, record.pk),
        "can_hold": can(user, "retention.hold"),
        "can_shorten": can(user, "retention.shorten"), "can_release": can(user, "retention.release_hold"),
        "hold_form": HoldForm(agency=record.agency),
        "tombstone": getattr(record, "tombstone", None) if record.purged_at else None,
    }
