from __future__ import annotations

from django import template

from cases.queries import participant_ids
from compliance import labels, queries

register = template.Library()


@register.inclusion_tag("compliance/activity_panel.html", takes_context=True)
def activity_findings(context, activity) -> dict:
    """The activity page's compliance panel: open findings with their articles and where to put them right."""
    user = context["request"].user
    findings = labels.decorate(queries.open_findings_for(user, activity.pk).select_related("record"), user)
    notes = queries.visible_notes(user).filter(activity=activity).select_related("author")
    return {"findings": findings, "notes": notes, "activity": activity,
            "writes_notes": user.pk in participant_ids(activity),
            "evaluated": getattr(activity, "compliance", None)}
