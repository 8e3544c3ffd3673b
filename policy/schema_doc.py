"""``policy/SCHEMA.md``, generated from the schema: every key of every part of a pack, what it means, its type, and an
example taken from a shipped pack (or written here where no shipped pack uses the key).

``manage.py policy schema > policy/SCHEMA.md`` regenerates it; a test fails when the file and the schema disagree or a
key lacks its meaning or example.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import types
import typing

from django.utils import translation
from pydantic import BaseModel

from policy.schema import PolicyPack

# What each key means. "Model.key" where one name means different things in different places.
MEANINGS: dict[str, str] = {
    "PolicyPack.schema_version": "The pack schema this file is written for; always `2`.",
    "pack": "The pack's identifier: one per agency (or per shared rulebook); agencies follow it by this name.",
    "version": "The version number; a new text of the rules is a new number. Only an approved activation puts a "
               "version into force for an agency (`manage.py policy upload`, the 制度包启用 page).",
    "effective_from": "The date the rulebook itself took effect, as the document says.",
    "effective_from_note": "Where the date comes from when the document does not say it plainly.",
    "documents": "The published texts the pack cites. Every citation must start with one of their ids.",
    "Document.id": "The citation prefix of the document: a three-digit document number, then the part inside the "
                   "file if the file holds several (`001/2`, `002/音像`, `005`). The longest matching id wins.",
    "Document.title": "The document's title as published, without 《》; citations read as 《title》第八条.",
    "Document.file": "The source text, kept beside the pack file (the loader refuses a pack whose text is missing).",
    "url": "Where the text was published.",
    "numbering": "How the rest of a citation reads: `articles` (8/(一) → 第八条第（一）项) or `rows` of a list "
                 "((一)/1 → （一）第1项).",
    "note": "Free remark for readers (e.g. that a stored copy is incomplete).",
    "agency": "Who the rules belong to.",
    "name": "The name of the agency, unit or plan.",
    "document": "The document number of the notice that issued the rules (文号).",
    "region": "Where the agency sits.",
    "responsible_unit": "The unit that keeps the records, if the rulebook names one.",
    "duties": "What that unit does, in the rulebook's words.",
    "categories": "Enforcement categories (vocabulary `Category`).",
    "categories_cite": "Where the categories come from.",
    "cite": "The articles the rule comes from, compact (`001/2/8`); one or a list. Shown to people as law.",
    "id": "An identifier, unique within its list: lowercase letters, digits and `_`.",
    "label": "The rule in the rulebook's words, as people read it.",
    "properties": "Yes/no facts about an activity that rules turn on (obligations, uninterrupted recording, "
                  "retention). Each is asked on the activity form and stored with the activity.",
    "question": "How the property is asked of the officer.",
    "numbers": "The agency's own numbers. A number left out uses the deployment's default (README, 配置).",
    "gap_tolerance_seconds": "A gap between two clips longer than this is an interruption.",
    "uninterrupted_gap_seconds": "Where recording must be uninterrupted, a gap longer than this is one.",
    "coverage_edge_seconds": "Recording may start this much after the start moment, or stop this much before the end.",
    "clock_tolerance_seconds": "A device clock off by more than this is a finding (with a clock pre-use item).",
    "pre_use_check_hours": "A pre-use check counts for a device's clips within this many hours.",
    "access_grant_max_days": "An access grant may last at most this many days.",
    "disc_read_check_days": "Each disc copy is test-read this often.",
    "draw_officers_per_target": "Officers drawn for each inspection target.",
    "recording": "What must be recorded, how and by whom. Absent: the rulebook has no checklist.",
    "checklist": "The rows of the recording checklist (事项清单): each is a stage an activity is recorded under.",
    "ChecklistRow.stage": "The stage (执法环节) as the list names it.",
    "matter": "The matter (执法事项) where the list has such a column.",
    "obligation": "`always`, or `{when: …}`: recorded only when the activity's facts meet the condition "
                  "(e.g. `{when: {property: dispute_likely}}`).",
    "requirement": "What the recording must show (记录要求/记录内容).",
    "place": "Where it is recorded.",
    "manner": "How (vocabulary `RecordingManner`): video, photo, cctv, audio.",
    "recorder": "Who records, where the list says.",
    "starts_at": "Where the recording must start: the activity's start, or a moment inside it.",
    "ends_at": "Where the recording must end: the activity's end, or a moment inside it.",
    "Moment.at": "`activity_start`, `activity_end`, or the id of a moment declared in `recording.moments` (the officer "
                 "marks it on the activity; unmarked, the activity's edge is used and the finding says so).",
    "text": "The moment in the list's words.",
    "storage": "How long the records of activities under this row are kept; applies like a retention rule (the "
               "longest applicable term wins).",
    "record_class": "The list's class of record (场景类/会议类).",
    "key_moment_photos": "Key moments must also be photographed; no photo linked is a finding.",
    "moments": "Named moments inside an activity that rows start or end at (制作文书开始, 当事人签字结束).",
    "full_uninterrupted_when": "Conditions under which recording must be whole and without any break.",
    "Trigger.when": "The activity facts that trigger the rule.",
    "key_moments_when_full_impossible": "Where full recording is impossible, key moments and a written record "
                                        "suffice; a partial recording without a written record is a finding.",
    "subject_rule": "Present: only officers with a valid enforcement qualification may record. Absent: anyone may.",
    "conduct": "How recording is done (opening statement, telling the party …).",
    "playback_check": "Reviewers score this rule when they play a sampled record.",
    "non_recording": "Grounds on which an activity may go unrecorded. Absent: an unrecorded activity stays a finding.",
    "grounds": "The grounds (国家秘密、商业秘密、个人隐私; 情况紧急 …).",
    "case_marks": "A case bearing one of these confidentiality marks has this ground.",
    "work_record": "The written work record that states the ground, and who reviews it; approved, it closes "
                   "`not_recorded`.",
    "role": "Who reviews or approves (vocabulary `Approver`).",
    "case_mark_is_ground": "A case bearing a ground's mark is itself the ground: no work record is needed.",
    "ingest": "Storage deadlines and filing. Absent: no deadline is judged.",
    "deadlines": "When recordings must be in the archive.",
    "applies_when": "`normal` work or `remote_or_continuous` work.",
    "within": "`end_of_day` (the same day) or `hours`.",
    "hours": "The hours, when `within: hours`.",
    "counted_from": "`activity_end`, `return_to_unit` or `recording_made`.",
    "classification": "The metadata every record is filed under (vocabulary `ClassificationField`).",
    "fields": "The fields listed.",
    "integrity": "Rules on keeping originals unaltered.",
    "retention": "How long records are kept. Absent (and no row storage): no term is set and nothing is purged.",
    "rules": "The rules of the section.",
    "applies_to": "Which records the rule covers.",
    "keep": "The term.",
    "then": "What happens when the term ends: `review_for_purge` or `keep`.",
    "case_file": "How long the case file is kept, for terms `same_as_case_file`.",
    "tiers": "Case-file terms by the case's properties.",
    "CaseFileTier.when": "The case facts the tier applies to; none: the default tier.",
    "external_basis": "Where the case-file term is set outside the pack (it is then entered by hand).",
    "record": "Record kinds (vocabulary `RecordKind`).",
    "usage": "How the record is used (vocabulary `RecordUsage`).",
    "linked_to_case": "Whether the record belongs to a case.",
    "case_flag": "Case properties (vocabulary `CaseFlag`).",
    "case_procedure": "Case procedure (vocabulary `Procedure`).",
    "case_category": "Case category (vocabulary `Category`).",
    "Condition.property": "Properties declared in `properties`; any of them holding meets the condition.",
    "activity_category": "The activity's category.",
    "Condition.stage": "Checklist rows (ids) of the activity the record belongs to.",
    "years": "Years.",
    "months": "Months.",
    "days": "Days.",
    "permanent": "Kept permanently.",
    "same_as_case_file": "As long as the case file (only for records of a case).",
    "at_least": "The term is a minimum (不少于).",
    "long_term": "Long-term preservation (刻盘). Absent: no long-term hold is offered.",
    "triggers": "When records must be preserved long-term.",
    "media": "The media used.",
    "copies": "How many copies and what their labels show.",
    "count": "Number of copies.",
    "label_fields": "What each label shows.",
    "disc_record_form": "The form filled in for each disc.",
    "DiscRecordForm.title": "The form's title.",
    "signatures": "Who signs the form.",
    "access": "Access (调阅) and the register. Absent: no access procedure is offered.",
    "AccessRule.requesters": "Who asks (vocabulary `RequesterType`).",
    "requesters": "Who asks (vocabulary `RequesterType`).",
    "actions": "What they may do (vocabulary `AccessAction`).",
    "purposes": "For which purposes (vocabulary `AccessPurpose`); none: any.",
    "credentials": "Papers the requester shows (vocabulary `Credential`).",
    "lawyer_credentials": "Papers a lawyer shows in addition.",
    "verify_credentials": "The papers are checked against the originals.",
    "approval": "Approval steps in order: `[head]` or `[{role: policy_office, kind: check}, …]`.",
    "kind": "`approve`, `check` or `consent`.",
    "enter_in_register": "The access is entered in the register.",
    "scope": "What the requester may see (vocabulary `AccessScope`).",
    "archive_room_only": "Only inside the archive room: no download.",
    "special_reason_required": "A special reason must be stated in full.",
    "delivery": "How material is delivered, where the rule says.",
    "fees": "Fees for reading and copying.",
    "viewing": "`free` or `charged`.",
    "copying": "`free`, `requester_pays` or `not_stated`.",
    "exclusions": "What the access procedure does not cover.",
    "unarchived_cases": "Cases not yet archived are excluded.",
    "publication_needs_approval": "Publication needs approval.",
    "deferred_to_law": "Matters the rulebook leaves to higher law.",
    "evidence_extraction": "How copies used as evidence are made and described.",
    "note_fields": "What the explanatory note gives.",
    "medium": "The medium of the copy.",
    "attach_to_case_file": "The copy is attached to the case file.",
    "keep_copy": "A copy is kept by the agency.",
    "confidentiality": "Confidentiality marks and their handling.",
    "marks": "Marks (vocabulary `ConfidentialityMark`).",
    "use_only_for_enforcement": "Marked material is used only for enforcement.",
    "export_approval": "Extra approval steps for copying a marked record out.",
    "case_handling": "Who assigns a case's handlers (承办人), who then view its records directly. Absent: the head.",
    "handlers_assigned_by": "The office that assigns and changes a case's handlers (vocabulary `Approver`).",
    "devices": "Recording devices. Absent: general device kinds, no pre-use or ledger checks.",
    "kinds": "Device kinds.",
    "managed_by": "Who manages the devices.",
    "units": "Units whose device keepers manage their own unit's devices; none: archivists and heads manage all.",
    "usage_ledger": "The device usage ledger (台账); present, a clip by someone the device was not handed to is a "
                    "finding.",
    "pre_use_checks": "Items checked before use; each failed item is a finding of its own.",
    "clock": "This item asks for the device clock to be set (clips with a larger skew are findings).",
    "blocks_hand_out": "A device failing this item is not handed out.",
    "maintenance": "Maintenance rules.",
    "fault_handling": "What is done with a faulty device.",
    "prohibitions": "What devices may not be used for.",
    "interruptions": "Interruptions of a recording. Absent: gaps cannot be explained by a work record.",
    "reasons": "Reasons an interruption may give.",
    "note_review": "Who reviews interruption work records.",
    "resume_statement": "What is said on resuming.",
    "forbidden": "What may not be done.",
    "legal_review": "Legal review of major decisions (法制审核目录).",
    "catalogue": "The catalogue items.",
    "LegalReviewItem.category": "The decision's category.",
    "item": "The item as the catalogue names it.",
    "LegalReviewItem.when": "The decisions the item covers.",
    "decision_type": "Decision types (vocabulary `DecisionType`).",
    "decision_category": "Decision categories.",
    "party_kind": "Person or organisation (vocabulary `PartyKind`).",
    "amount_at_least": "Fines from this amount (yuan).",
    "law_requires_review": "Covered only where other law requires review.",
    "amount_threshold_not_set": "The catalogue sets no amount (review is decided by other rules).",
    "basis": "The legal basis.",
    "submitted_by": "Who submits.",
    "reviewed_by": "Who reviews.",
    "materials": "Materials submitted.",
    "review_points": "Points the reviewer checks.",
    "random_inspection": "Double-random inspection plans.",
    "plans": "The plans.",
    "targets": "Who is drawn from.",
    "content": "What is inspected.",
    "subject": "Who inspects.",
    "method": "How.",
    "share": "Share drawn (0–1); none: given at each draw.",
    "frequency": "How often (vocabulary `Frequency`).",
    "InspectionPlan.stage": "The checklist row a drawn inspection is recorded under.",
    "draw_stage": "The checklist row the draw session itself is recorded under.",
    "supervision": "Supervision: sampling checks and reviews.",
    "checks": "What reviewers score per record.",
    "annual_review_at_least": "Reviews a year, at least.",
    "annual_review_cite": "Where the annual review comes from.",
    "sampling_share": "Share of records sampled.",
    "sampling_share_note": "Remark where the rulebook sets no share.",
    "personal_assessment": "How results count in personal assessment.",
    "accountability": "Misconduct and sanctions. Absent: no misconduct case can be opened.",
    "misconduct": "Kinds of misconduct.",
    "sanctions": "Sanctions.",
    "severity": "`light` or `serious`.",
    "Obligation.when": "The condition under which the row must be recorded.",
}

# Examples for keys no shipped pack uses yet.
EXAMPLES: dict[str, str] = {
    "PolicyPack.numbers": "{uninterrupted_gap_seconds: 5, access_grant_max_days: 15}",
    "Numbers.gap_tolerance_seconds": "60",
    "Numbers.uninterrupted_gap_seconds": "5",
    "Numbers.coverage_edge_seconds": "180",
    "Numbers.clock_tolerance_seconds": "30",
    "Numbers.pre_use_check_hours": "8",
    "Numbers.access_grant_max_days": "15",
    "Numbers.disc_read_check_days": "180",
    "Numbers.draw_officers_per_target": "3",
    "Numbers.cite": "[004/20]",
    "CaseHandling.handlers_assigned_by": "policy_office",
    "CaseHandling.cite": "[000/1/4]",
    "Numbers.note": "本局规定",
    "PreUseCheckItem.blocks_hand_out": "true",
    "Supervision.sampling_share": "0.05",
    "Condition.stage": "[hearing]",
    "Condition.record": "[av, photo, audio]",
    "Term.days": "90",
    "NonRecording.case_mark_is_ground": "true",
    "Condition.activity_category": "[inspection]",
    "InspectionPlan.basis": "《中华人民共和国行政许可法》",
    "InspectionPlan.content": "取水许可执行情况",
}

_SKIP_ARGS = (type(None),)


def _models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.append(model)
        for field in model.model_fields.values():
            for inner in _inner_types(field.annotation):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    walk(inner)

    walk(PolicyPack)
    return seen


def _inner_types(annotation) -> list:
    found = [annotation]
    for arg in typing.get_args(annotation):
        found += _inner_types(arg)
    return found


def _type_text(annotation) -> str:
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a not in _SKIP_ARGS]
    if origin is typing.Annotated:
        return _type_text(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_text(a) for a in args)
    if origin is list:
        return f"list of {_type_text(args[0])}"
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in typing.get_args(annotation))
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            labels = ", ".join(f"`{m.value}` {getattr(m, 'label', m.value)}" for m in annotation)
            return f"`{annotation.__name__}` ({labels})"
        if issubclass(annotation, BaseModel):
            return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
        return {str: "text", int: "integer", float: "number", bool: "yes/no", dt.date: "date (YYYY-MM-DD)"}.get(
            annotation, annotation.__name__)
    return str(annotation)


def meaning(model: type[BaseModel], key: str) -> str | None:
    return MEANINGS.get(f"{model.__name__}.{key}") or MEANINGS.get(key)


def _shipped_examples() -> dict[str, str]:
    """The first value each Model.key takes in the shipped packs, as compact YAML-like text."""
    from policy.registry import registry

    found: dict[str, str] = {}

    def visit(node: object) -> None:
        if isinstance(node, BaseModel):
            for name in type(node).model_fields:
                value = getattr(node, name)
                key = f"{type(node).__name__}.{name}"
                if key not in found and value not in (None, [], False) and not (
                        isinstance(value, BaseModel) or (isinstance(value, list) and isinstance(value[0], BaseModel))):
                    found[key] = _compact(value)
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for code in registry().codes():
        for pack_file in registry().files(code):
            visit(pack_file.pack)
    return found


def _compact(value: object) -> str:
    def plain(v: object) -> object:
        if isinstance(v, enum.Enum):
            return v.value
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, dt.date):
            return v.isoformat()
        return v

    text = json.dumps(plain(value), ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


def example(model: type[BaseModel], key: str, shipped: dict[str, str]) -> str | None:
    if f"{model.__name__}.{key}" in EXAMPLES:
        return EXAMPLES[f"{model.__name__}.{key}"]
    if f"{model.__name__}.{key}" in shipped:
        return shipped[f"{model.__name__}.{key}"]
    field = model.model_fields[key]
    # A section's example is the table below it.
    if any(isinstance(t, type) and issubclass(t, BaseModel) for t in _inner_types(field.annotation)):
        return "see below"
    return None


def render() -> str:
    """The whole reference, deterministic."""
    shipped = _shipped_examples()
    out = ["# Policy pack schema (version 2)", "",
           "Generated from `policy/schema.py` by `python manage.py policy schema`; `tests/test_policy_schema.py` fails "
           "when this file is stale or a key lacks its meaning or example. Examples come from the shipped packs "
           "(`policy/packs/*/v*.yaml`). A pack may leave out any optional section: the system then does nothing for "
           "that topic, and the rules page says the rulebook does not regulate it. Citations are compact in packs "
           "and code (`001/2/8`) and read as law to people (《…》第八条).", ""]
    with translation.override("zh-hans"):
        for model in _models():
            out += [f"## {model.__name__}", ""]
            doc = (model.__doc__ or "").strip().splitlines()
            if doc and not doc[0].startswith(("!!!", "Usage docs")):
                out += [" ".join(line.strip() for line in doc if line.strip()), ""]
            out += ["| key | type | required | meaning | example |", "|---|---|---|---|---|"]
            for name, field in model.model_fields.items():
                key = field.alias or name
                required = "yes" if field.is_required() else f"no (default `{_default(field)}`)"
                cells = [f"`{key}`", _type_text(field.annotation), required, meaning(model, name) or "",
                         (example(model, name, shipped) or "").replace("|", "\\|")]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
    return "\n".join(out)


def _default(field) -> str:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, enum.Enum):
        return value.value
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
