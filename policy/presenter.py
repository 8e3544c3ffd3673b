"""Turns a pack into topics for the read-only rules page: each rule a title, its details and its citations."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from policy.schema import PolicyPack, Strict, Term

FIELD_LABELS = {
    "categories": gettext_lazy("categories"), "stage": gettext_lazy("stage"), "matter": gettext_lazy("matter"),
    "obligation": gettext_lazy("obligation"), "requirement": gettext_lazy("what to record"),
    "place": gettext_lazy("place"), "manner": gettext_lazy("manner"), "recorder": gettext_lazy("recorder"),
    "starts_at": gettext_lazy("starts"), "ends_at": gettext_lazy("ends"), "storage": gettext_lazy("kept"),
    "record_class": gettext_lazy("record class"), "key_moment_photos": gettext_lazy("photos of key moments"),
    "when": gettext_lazy("applies when"), "applies_to": gettext_lazy("applies to"), "keep": gettext_lazy("kept"),
    "then": gettext_lazy("afterwards"), "requesters": gettext_lazy("requesters"), "actions": gettext_lazy("actions"),
    "purposes": gettext_lazy("purposes"), "credentials": gettext_lazy("credentials"),
    "lawyer_credentials": gettext_lazy("lawyer's credentials"),
    "verify_credentials": gettext_lazy("credentials verified"), "approval": gettext_lazy("approval"),
    "enter_in_register": gettext_lazy("entered in the register"), "scope": gettext_lazy("scope"),
    "archive_room_only": gettext_lazy("archive room only"),
    "special_reason_required": gettext_lazy("special reason required"), "delivery": gettext_lazy("delivery"),
    "applies_when": gettext_lazy("applies when"), "within": gettext_lazy("within"), "hours": gettext_lazy("hours"),
    "counted_from": gettext_lazy("counted from"), "item": gettext_lazy("item"), "basis": gettext_lazy("legal basis"),
    "submitted_by": gettext_lazy("submitted by"), "reviewed_by": gettext_lazy("reviewed by"),
    "materials": gettext_lazy("materials"), "review_points": gettext_lazy("review points"),
    "amount_threshold_not_set": gettext_lazy("amount threshold not set"), "category": gettext_lazy("category"),
    "targets": gettext_lazy("targets"), "subject": gettext_lazy("inspecting body"), "method": gettext_lazy("method"),
    "share": gettext_lazy("share"), "frequency": gettext_lazy("frequency"), "content": gettext_lazy("content"),
    "draw_stage": gettext_lazy("draw session recorded as"),
    "severity": gettext_lazy("severity"), "fields": gettext_lazy("fields"), "count": gettext_lazy("copies"),
    "label_fields": gettext_lazy("label shows"), "signatures": gettext_lazy("signed by"),
    "note_fields": gettext_lazy("explanatory note gives"), "medium": gettext_lazy("medium"),
    "attach_to_case_file": gettext_lazy("attached to the case file"), "keep_copy": gettext_lazy("copy retained"),
    "marks": gettext_lazy("marks"), "use_only_for_enforcement": gettext_lazy("used only for enforcement"),
    "viewing": gettext_lazy("viewing"), "copying": gettext_lazy("copying"), "role": gettext_lazy("reviewed by"),
    "handlers_assigned_by": gettext_lazy("handlers assigned by"),
    "name": gettext_lazy("name"), "duties": gettext_lazy("duties"),
    "unarchived_cases": gettext_lazy("unarchived cases"),
    "title": gettext_lazy("form"), "playback_check": gettext_lazy("scored in sampling reviews"),
    "clock": gettext_lazy("device clock checked"), "export_approval": gettext_lazy("taking out approved by"),
    "activity_flag": gettext_lazy("activity property"), "case_flag": gettext_lazy("case property"),
    "case_category": gettext_lazy("case category"), "case_procedure": gettext_lazy("case procedure"),
    "linked_to_case": gettext_lazy("linked to a case"), "decision_category": gettext_lazy("decision category"),
    "decision_type": gettext_lazy("decision type"), "law_requires_review": gettext_lazy("law requires review"),
    "party_kind": gettext_lazy("party"), "amount_at_least": gettext_lazy("amount at least (yuan)"),
    "record": gettext_lazy("record kinds"), "usage": gettext_lazy("record usage"),
    "activity_category": gettext_lazy("activity category"),
}
VALUE_LABELS = {
    "activity_start": gettext_lazy("activity start"), "activity_end": gettext_lazy("activity end"),
    "review_for_purge": gettext_lazy("reviewed for purge"), "keep": gettext_lazy("kept"),
    "normal": gettext_lazy("normal work"), "remote_or_continuous": gettext_lazy("remote or continuous work"),
    "end_of_day": gettext_lazy("the same day"), "return_to_unit": gettext_lazy("return to the unit"),
    "recording_made": gettext_lazy("recording made"), "free": gettext_lazy("free of charge"),
    "charged": gettext_lazy("charged"), "requester_pays": gettext_lazy("paid by the requester"),
    "not_stated": gettext_lazy("not stated"), "light": gettext_lazy("minor"), "serious": gettext_lazy("serious"),
    "approve": gettext_lazy("approval"), "check": gettext_lazy("check"), "consent": gettext_lazy("consent"),
    "hours": gettext_lazy("within the number of hours below"),
}
SKIP = {"id", "label", "cite"}


@dataclass
class RuleView:
    title: str
    details: list[tuple[str, str]] = field(default_factory=list)
    cites: list[str] = field(default_factory=list)


@dataclass
class Topic:
    key: str
    title: str
    rules: list[RuleView]


def describe_term(term: Term) -> str:
    if term.permanent:
        return _("permanently")
    if term.same_as_case_file:
        return _("as long as the case file")
    parts = []
    if term.years:
        parts.append(_("%(n)d years") % {"n": term.years})
    if term.months:
        parts.append(_("%(n)d months") % {"n": term.months})
    if term.days:
        parts.append(_("%(n)d days") % {"n": term.days})
    text = " ".join(parts)
    return _("at least %(term)s") % {"term": text} if term.at_least else text


def _value(value: object) -> str:
    if isinstance(value, Term):
        return describe_term(value)
    if isinstance(value, Enum):
        return str(getattr(value, "label", value.value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.0%}"
    if isinstance(value, str):
        return str(VALUE_LABELS.get(value, value))
    if isinstance(value, list):
        return "；".join(_value(v) for v in value)
    if isinstance(value, Strict):
        if hasattr(value, "text") and hasattr(value, "at"):
            return f"{value.text}（{_value(value.at)}）"
        if hasattr(value, "role") and hasattr(value, "kind"):
            return f"{_value(value.role)}{_value(value.kind)}"
        return "；".join(f"{FIELD_LABELS.get(k, k)}：{_value(v)}" for k, v in _fields(value))
    return str(value)


def _fields(model: Strict):
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name in SKIP or value in (None, [], False):
            continue
        yield name, value


def rule_view(model: Strict, title: str | None = None) -> RuleView:
    title = title or getattr(model, "label", None) or getattr(model, "stage", None) or getattr(model, "item", "")
    details = [(str(FIELD_LABELS.get(name, name)), _value(value)) for name, value in _fields(model)
               if name not in {"stage"}]
    return RuleView(title=str(title), details=details, cites=list(getattr(model, "cite", [])))


def topics(pack: PolicyPack) -> list[Topic]:
    result = [
        Topic("agency", _("Agency and responsible unit"), [
            rule_view(pack.agency.responsible_unit,
                      _("Responsible unit: %(name)s") % {"name": pack.agency.responsible_unit.name}),
            RuleView(_("Enforcement categories"), [(_("categories"), _value(pack.agency.categories))],
                     list(pack.agency.categories_cite)),
        ]),
        Topic("checklist", _("Recording checklist"), [rule_view(r) for r in pack.recording.checklist]),
        Topic("uninterrupted", _("Full and uninterrupted recording"),
              [rule_view(t) for t in pack.recording.full_uninterrupted_when]
              + ([rule_view(pack.recording.key_moments_when_full_impossible)]
                 if pack.recording.key_moments_when_full_impossible else [])),
        Topic("conduct", _("Recording conduct"),
              ([rule_view(pack.recording.subject_rule)] if pack.recording.subject_rule else [])
              + [rule_view(c) for c in pack.recording.conduct]),
        Topic("ingest", _("Upload deadlines and classification"),
              [rule_view(d) for d in pack.ingest.deadlines]
              + ([rule_view(pack.ingest.classification, _("Classification fields"))]
                 if pack.ingest.classification else [])
              + [rule_view(i) for i in pack.ingest.integrity]),
        Topic("retention", _("Retention"),
              [rule_view(r) for r in pack.retention.rules]
              + ([rule_view(t) for t in pack.retention.case_file.tiers] if pack.retention.case_file else [])
              + ([RuleView(_("Case-file term set outside this pack"),
                           [(_("basis"), pack.retention.case_file.external_basis)],
                           list(pack.retention.case_file.cite))]
                 if pack.retention.case_file and pack.retention.case_file.external_basis else [])),
        Topic("long_term", _("Long-term preservation"),
              [rule_view(t) for t in pack.long_term.triggers]
              + ([rule_view(pack.long_term.copies, _("Disc copies and labels"))] if pack.long_term.copies else [])
              + ([rule_view(pack.long_term.disc_record_form, pack.long_term.disc_record_form.title)]
                 if pack.long_term.disc_record_form else [])),
        Topic("access", _("Access and the register"),
              [rule_view(r) for r in pack.access.rules]
              + ([rule_view(pack.access.fees, _("Fees"))] if pack.access.fees else [])
              + [rule_view(e) for e in pack.access.exclusions]
              + ([rule_view(pack.access.publication_needs_approval)] if pack.access.publication_needs_approval else [])
              + [rule_view(d) for d in pack.access.deferred_to_law]
              + [rule_view(e, _("Evidence extraction")) for e in pack.evidence_extraction]
              + ([rule_view(pack.confidentiality, _("Confidentiality"))] if pack.confidentiality else [])
              + ([rule_view(pack.case_handling, _("Case handlers"))] if pack.case_handling else [])),
        Topic("devices", _("Recording devices"),
              [rule_view(k, _("Device kind: %(label)s") % {"label": k.label}) for k in pack.devices.kinds]
              + ([rule_view(pack.devices.usage_ledger, _("Device usage ledger"))] if pack.devices.usage_ledger else [])
              + [rule_view(c, _("Pre-use check: %(label)s") % {"label": c.label}) for c in pack.devices.pre_use_checks]
              + [rule_view(m) for m in pack.devices.maintenance]
              + [rule_view(f) for f in pack.devices.fault_handling]
              + [rule_view(p) for p in pack.devices.prohibitions]),
        Topic("interruptions", _("Interruptions"),
              [rule_view(r, _("Permitted reason: %(label)s") % {"label": r.label}) for r in pack.interruptions.reasons]
              + ([rule_view(pack.interruptions.note_review)] if pack.interruptions.note_review else [])
              + ([rule_view(pack.interruptions.resume_statement)] if pack.interruptions.resume_statement else [])
              + [rule_view(f) for f in pack.interruptions.forbidden]),
    ]
    if pack.legal_review:
        result.append(Topic("legal_review", _("Legal review of major decisions"),
                            [rule_view(i) for i in pack.legal_review.catalogue]))
    if pack.random_inspection:
        result.append(Topic("random_inspection", _("Double-random inspections"),
                            [rule_view(p, p.name) for p in pack.random_inspection.plans]))
    if pack.supervision:
        sup = pack.supervision
        extra = []
        if sup.annual_review_at_least:
            title = _("Annual review of recordings at least %(n)d time(s) a year") % {"n": sup.annual_review_at_least}
            extra.append(RuleView(title,
                                  [], list(sup.annual_review_cite or [])))
        if sup.sampling_share_note:
            extra.append(RuleView(sup.sampling_share_note, [], []))
        result.append(Topic("supervision", _("Supervision"),
                            [rule_view(c) for c in sup.checks] + extra
                            + ([rule_view(sup.personal_assessment)] if sup.personal_assessment else [])))
    result.append(Topic("accountability", _("Misconduct and sanctions"),
                        [rule_view(m, _("Misconduct: %(label)s") % {"label": m.label})
                         for m in pack.accountability.misconduct]
                        + [rule_view(s, _("Sanction: %(label)s") % {"label": s.label})
                           for s in pack.accountability.sanctions]))
    # Rules that point at a checklist row (a draw recorded as …) name it by its stage, not its id.
    stages = {row.id: row.stage for row in pack.recording.checklist}
    for topic in result:
        for rule in topic.rules:
            rule.details = [(label, stages.get(value, value)) for label, value in rule.details]
    return [topic for topic in result if topic.rules]
