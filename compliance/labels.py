"""How findings read: one sentence per rule, and where each is put right."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from cases.queries import activities_taken_part
from compliance.models import Finding

RULES = dict(Finding.Rule.choices)


def describe(finding: Finding) -> str:
    p = finding.params or {}
    rule = finding.rule
    if rule == "not_recorded":
        text = _("%(stage)s must be recorded (%(requirement)s); nothing is linked to the activity.") % p
        if p.get("note_state") == "submitted":
            text += _(" A work record stating the ground for not recording waits for review.")
        return text
    if rule in ("start_not_covered", "end_not_covered", "gap"):
        text = _("%(minutes)s minutes without recording") % p
        if p.get("moment"):
            text += _(" (the recording must run from: %(moment)s)") % p
        if p.get("unmarked"):
            text += _(" (not marked, so judged from the activity's own start or end: %(names)s)") % {
                "names": "、".join(p["unmarked"])}
        if p.get("note_state") == "submitted":
            text += _("; an interruption note waits for review")
        return text
    if rule == "key_photos_missing":
        return _("%(stage)s asks for photos of the key moments; none is linked.") % p
    if rule == "clock_off":
        return _("The device clock was off by %(skew_seconds)s seconds.") % p
    if rule == "clock_sources_disagree" and p.get("other"):
        from evidence.timesources import describe

        return describe(p)
    if rule == "pre_use_item_failed":
        return _("The device failed the pre-use check item “%(item_label)s” and was used anyway.") % p
    return str(RULES.get(rule, rule))


def fix_url(finding: Finding, *, writes_notes: bool = True) -> str:
    """Where the finding is put right; empty when the one reading it cannot (only the activity's officers explain
    its interruptions)."""
    p = finding.params or {}
    if finding.rule == "not_recorded" and p.get("note_id"):
        return reverse("note_detail", args=[p["note_id"]])
    if finding.rule == "not_recorded" and writes_notes and p.get("grounds"):
        return reverse("note_create", args=[finding.activity_id]) + "?kind=non_recording"
    if finding.rule in ("start_not_covered", "end_not_covered", "gap"):
        if p.get("note_id"):
            return reverse("note_detail", args=[p["note_id"]])
        if not writes_notes:
            return ""
        return reverse("note_create", args=[finding.activity_id]) + "?" + urlencode(
            {"from": p.get("from", ""), "to": p.get("to", "")})
    if finding.rule in ("pre_use_check_missing", "pre_use_item_failed", "clock_off", "device_not_handed_out") \
            and p.get("device_id"):
        return reverse("device_detail", args=[p["device_id"]])
    if finding.record_id:
        return reverse("record_detail", args=[finding.record_id])
    return reverse("activity_detail", args=[finding.activity_id])


def decorate(findings, reader):
    """Attach the reading text and, where ``reader`` can act on it, the fix link to each finding, for templates."""
    findings = list(findings)
    explained_by_reader = activities_taken_part(reader, (f.activity_id for f in findings))
    for finding in findings:
        finding.rule_label = RULES.get(finding.rule, finding.rule)
        finding.text = describe(finding)
        finding.fix_url = fix_url(finding, writes_notes=finding.activity_id in explained_by_reader)
    return findings
