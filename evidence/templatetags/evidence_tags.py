from __future__ import annotations

from django import template

from authz.routes import may
from evidence import queries

register = template.Library()


@register.inclusion_tag("evidence/activity_records.html", takes_context=True)
def activity_records(context, activity) -> dict:
    """The activity page's records: those linked to it, and the unlinked clips of its officers made around its time
    (filed before the activity was recorded, so nothing linked them), offered for linking."""
    user = context["request"].user
    linked = queries.with_listing_relations(queries.visible_records(user).filter(activity=activity))
    offered = queries.unlinked_near(user, activity) if may(user, "record.file") else []
    return {"activity": activity, "linked": linked.order_by("recorded_start", "pk"), "offered": offered}
