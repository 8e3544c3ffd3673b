"""Turns a pack into topics for the read-only rules page: each rule a title, its details and its citations."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from policy import rules
from policy.schema import Obligation, PolicyPack, Strict, Term

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
    "property": gettext_lazy("activity property"), "case_flag": gettext_lazy("case property"),
    "case_category": gettext_lazy("case category"), "case_procedure": gettext_lazy("case procedure"),
    "linked_to_case": gettext_lazy("linked to a case"), "decision_category": gettext_lazy("decision category"),
    "decision_type": gettext_lazy("decision type"), "law_requires_review": gettext_lazy("law requires review"),
    "party_kind": gettext_lazy("party"), "amount_at_least": gettext_lazy("amount at least (yuan)"),
    "question": gettext_lazy("asked as"), "case_marks": gettext_lazy("a case bearing the mark"),
    "blocks_hand_out": gettext_lazy("a device failing it is not handed out"), "units": gettext_lazy("units"),
    "usage": gettext_lazy("record usage"), "record": gettext_lazy("record kinds"),
    "activity_category": gettext_lazy("activity category"),
    "work_record": gettext_lazy("work record"), "case_mark_is_ground": gettext_lazy("a case mark is itself a ground"),
    "years": gettext_lazy("years"), "months": gettext_lazy("months"), "days": gettext_lazy("days"),
    "url": gettext_lazy("address"), "file": gettext_lazy("source text"),
    "numbering": gettext_lazy("numbering"), "note": gettext_lazy("note"),
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
    "articles": gettext_lazy("articles"), "rows": gettext_lazy("rows of a list"),
    "hours": gettext_lazy("within the number of hours below"),
}
# What each number of ``numbers`` means to a reader, with its unit.
NUMBER_LABELS = {
    "gap_tolerance_seconds": gettext_lazy("a gap between two clips counts from (seconds)"),
    "uninterrupted_gap_seconds": gettext_lazy("where recording must be uninterrupted, a gap counts from (seconds)"),
    "coverage_edge_seconds": gettext_lazy("recording may start late or stop early by up to (seconds)"),
    "clock_tolerance_seconds": gettext_lazy("a device clock may be off by up to (seconds)"),
    "pre_use_check_hours": gettext_lazy("a pre-use check counts for (hours)"),
    "access_grant_max_days": gettext_lazy("an access grant lasts at most (days)"),
    "disc_read_check_days": gettext_lazy("each disc copy is test-read every (days)"),
    "draw_officers_per_target": gettext_lazy("officers drawn for each inspection target"),
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
    # The rulebook does not regulate this topic: the engine does nothing for it.
    absent: bool = False


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


def pack_names(pack: PolicyPack) -> dict[str, str]:
    """The pack's own ids a reader may meet in a rule's details (properties, moments, rows, grounds) → their words."""
    names = {p.id: p.label for p in pack.properties}
    names.update({row.id: row.stage for row in pack.checklist})
    names.update({m.id: m.label for m in (pack.recording.moments if pack.recording else [])})
    names.update({g.id: g.label for g in (pack.non_recording.grounds if pack.non_recording else [])})
    return names


def _value(value: object, names: dict[str, str]) -> str:
    if isinstance(value, Term):
        return describe_term(value)
    if isinstance(value, Enum):
        return str(getattr(value, "label", value.value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.0%}"
    if isinstance(value, str):
        return str(names.get(value) or VALUE_LABELS.get(value, value))
    if isinstance(value, list):
        return "；".join(_value(v, names) for v in value)
    if isinstance(value, Obligation):
        return _("always") if value.always() else _value(value.when, names)
    if isinstance(value, Strict):
        if hasattr(value, "text") and hasattr(value, "at"):
            return f"{value.text}（{_value(value.at, names)}）"
        if hasattr(value, "role") and hasattr(value, "kind"):
            return f"{_value(value.role, names)}{_value(value.kind, names)}"
        return "；".join(f"{FIELD_LABELS.get(k, k)}：{_value(v, names)}" for k, v in _fields(value))
    return str(value)


def _fields(model: Strict):
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name in SKIP or value in (None, [], False):
            continue
        yield name, value


def rule_view(model: Strict, title: str | None = None, names: dict[str, str] | None = None) -> RuleView:
    names = names or {}
    title = title or getattr(model, "label", None) or getattr(model, "stage", None) or getattr(model, "item", "")
    details = [(str(FIELD_LABELS.get(name, name)), _value(value, names)) for name, value in _fields(model)
               if name not in {"stage"}]
    return RuleView(title=str(title), details=details, cites=list(getattr(model, "cite", [])))


def topics(pack: PolicyPack) -> list[Topic]:
    """Every topic a rulebook may regulate, in a fixed order; one the pack leaves out is shown as not regulated."""
    names = pack_names(pack)

    def view(model, title=None) -> RuleView:
        return rule_view(model, title, names)

    recording, ingest, retention, long_term = pack.recording, pack.ingest, pack.retention, pack.long_term
    access, devices, interruptions = pack.access, pack.devices, pack.interruptions
    agency = [view(pack.agency.responsible_unit,
                   _("Responsible unit: %(name)s") % {"name": pack.agency.responsible_unit.name})] \
        if pack.agency.responsible_unit else []
    agency.append(RuleView(_("Enforcement categories"), [(_("categories"), _value(pack.agency.categories, names))],
                           list(pack.agency.categories_cite)))
    agency += [RuleView(f"《{d.title}》", [(str(FIELD_LABELS[k]), _value(getattr(d, k), names))
                                          for k in ("url", "note") if getattr(d, k)], []) for d in pack.documents]
    checklist = []
    for row in pack.checklist:
        shown = view(row)
        shown.details = [(label, rules.obligation_label(pack, row) if label == str(FIELD_LABELS["obligation"])
                          else value) for label, value in shown.details]
        checklist.append(shown)
    result = [
        Topic("agency", _("Agency and responsible unit"), agency),
        Topic("properties", _("Questions asked about each activity"),
              [view(p, p.label) for p in pack.properties]),
        Topic("checklist", _("Recording checklist"), checklist
              + [view(m, _("Moment: %(label)s") % {"label": m.label})
                 for m in (recording.moments if recording else [])]),
        Topic("uninterrupted", _("Full and uninterrupted recording"),
              [view(t) for t in (recording.full_uninterrupted_when if recording else [])]
              + ([view(recording.key_moments_when_full_impossible)]
                 if recording and recording.key_moments_when_full_impossible else [])),
        Topic("conduct", _("Recording conduct"),
              ([view(recording.subject_rule)] if recording and recording.subject_rule else [])
              + [view(c) for c in (recording.conduct if recording else [])]),
        Topic("non_recording", _("Activities not recorded"),
              ([view(g, _("Permitted ground: %(label)s") % {"label": g.label}) for g in pack.non_recording.grounds]
               + [view(pack.non_recording.work_record)]) if pack.non_recording else []),
        Topic("ingest", _("Upload deadlines and classification"),
              ([view(d) for d in ingest.deadlines]
               + ([view(ingest.classification, _("Classification fields"))] if ingest.classification else [])
               + [view(i) for i in ingest.integrity]) if ingest else []),
        Topic("retention", _("Retention"),
              [view(r) for r in (retention.rules if retention else [])]
              + [RuleView(_("Records of “%(stage)s” kept %(term)s") % {"stage": row.stage,
                                                                          "term": describe_term(row.storage)},
                          [], list(row.cite)) for row in pack.checklist if row.storage]
              + ([view(t) for t in retention.case_file.tiers] if retention and retention.case_file else [])
              + ([RuleView(_("Case-file term set outside this pack"),
                           [(_("basis"), retention.case_file.external_basis)], list(retention.case_file.cite))]
                 if retention and retention.case_file and retention.case_file.external_basis else [])),
        Topic("long_term", _("Long-term preservation"),
              ([view(t) for t in long_term.triggers]
               + ([view(long_term.copies, _("Disc copies and labels"))] if long_term.copies else [])
               + ([view(long_term.disc_record_form, long_term.disc_record_form.title)]
                  if long_term.disc_record_form else [])) if long_term else []),
        Topic("access", _("Access and the register"),
              ([view(r) for r in access.rules]
               + ([view(access.fees, _("Fees"))] if access.fees else [])
               + [view(e) for e in access.exclusions]
               + ([view(access.publication_needs_approval)] if access.publication_needs_approval else [])
               + [view(d) for d in access.deferred_to_law] if access else [])
              + [view(e, _("Evidence extraction")) for e in pack.evidence_extraction]
              + ([view(pack.confidentiality, _("Confidentiality"))] if pack.confidentiality else [])
              + ([view(pack.case_handling, _("Case handlers"))] if pack.case_handling else [])),
        Topic("devices", _("Recording devices"),
              ([view(k, _("Device kind: %(label)s") % {"label": k.label}) for k in devices.kinds]
               + ([view(devices.managed_by, _("Managed by: %(name)s") % {"name": devices.managed_by.name})]
                  if devices.managed_by else [])
               + ([view(devices.usage_ledger, _("Device usage ledger"))] if devices.usage_ledger else [])
               + [view(c, _("Pre-use check: %(label)s") % {"label": c.label}) for c in devices.pre_use_checks]
               + [view(m) for m in devices.maintenance]
               + [view(f) for f in devices.fault_handling]
               + [view(p) for p in devices.prohibitions]) if devices else []),
        Topic("interruptions", _("Interruptions"),
              ([view(r, _("Permitted reason: %(label)s") % {"label": r.label}) for r in interruptions.reasons]
               + ([view(interruptions.note_review)] if interruptions.note_review else [])
               + ([view(interruptions.resume_statement)] if interruptions.resume_statement else [])
               + [view(f) for f in interruptions.forbidden]) if interruptions else []),
        Topic("legal_review", _("Legal review of major decisions"),
              [view(i) for i in pack.legal_review.catalogue] if pack.legal_review else []),
        Topic("random_inspection", _("Double-random inspections"),
              [view(p, p.name) for p in pack.random_inspection.plans] if pack.random_inspection else []),
        Topic("supervision", _("Supervision"), _supervision(pack, view)),
        Topic("accountability", _("Misconduct and sanctions"),
              ([view(m, _("Misconduct: %(label)s") % {"label": m.label}) for m in pack.accountability.misconduct]
               + [view(s, _("Sanction: %(label)s") % {"label": s.label}) for s in pack.accountability.sanctions])
              if pack.accountability else []),
        Topic("numbers", _("The agency's numbers"), _numbers(pack)),
    ]
    for topic in result:
        topic.absent = not topic.rules and topic.key != "numbers"
    return result


def _supervision(pack: PolicyPack, view) -> list[RuleView]:
    sup = pack.supervision
    if sup is None:
        return []
    extra = []
    if sup.annual_review_at_least:
        title = _("Annual review of recordings at least %(n)d time(s) a year") % {"n": sup.annual_review_at_least}
        extra.append(RuleView(title, [], list(sup.annual_review_cite or [])))
    if sup.sampling_share_note:
        extra.append(RuleView(sup.sampling_share_note, [], []))
    return [view(c) for c in sup.checks] + extra + ([view(sup.personal_assessment)] if sup.personal_assessment else [])


def _numbers(pack: PolicyPack) -> list[RuleView]:
    """Each number the system judges by, the agency's own or the deployment's default, said which."""
    own = pack.numbers
    shown = []
    for name, label in NUMBER_LABELS.items():
        value = rules.number(pack, name)
        given = own is not None and getattr(own, name) is not None
        source = _("set by the agency's rules") if given else _("the deployment's default (not set by the rules)")
        shown.append(RuleView(f"{label}：{value}", [(_("source"), source)],
                              list(own.cite) if given and own is not None else []))
    return shown
