"""The shape of a policy pack. Every rule cites its article; unknown keys are errors, not silently ignored."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from policy.vocabulary import (
    AccessAction,
    AccessPurpose,
    AccessScope,
    ActivityFlag,
    Approver,
    CaseFlag,
    Category,
    ClassificationField,
    ConfidentialityMark,
    Credential,
    DecisionType,
    Frequency,
    Obligation,
    PartyKind,
    Procedure,
    RecordClass,
    RecordingManner,
    RecordKind,
    RecordUsage,
    RequesterType,
)

CITE_PATTERN = r"^\d{3}(/[^/\s]+)+$"
Cite = Annotated[str, StringConstraints(pattern=CITE_PATTERN)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


def _as_list(value: object) -> object:
    return [value] if isinstance(value, (str, int)) else value


def _steps(value: object) -> object:
    """``[head]`` is shorthand for ``[{role: head, kind: approve}]``."""
    value = _as_list(value)
    if isinstance(value, list):
        return [{"role": step, "kind": "approve"} if isinstance(step, str) else step for step in value]
    return value


Cites = Annotated[list[Cite], BeforeValidator(_as_list), Field(min_length=1)]


def listed(item: object) -> object:
    return Annotated[list[item], BeforeValidator(_as_list)]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Cited(Strict):
    cite: Cites


class Labelled(Cited):
    id: Identifier
    label: Text


class Condition(Strict):
    """Facts a rule applies to. Every key given must hold; a list means any of its values."""

    record: listed(RecordKind) | None = None
    usage: listed(RecordUsage) | None = None
    linked_to_case: bool | None = None
    case_flag: listed(CaseFlag) | None = None
    case_procedure: listed(Procedure) | None = None
    case_category: listed(Category) | None = None
    activity_flag: listed(ActivityFlag) | None = None
    activity_category: listed(Category) | None = None


class Term(Strict):
    """How long something is kept: a fixed period, permanently, or as long as its case file."""

    years: int | None = Field(default=None, ge=1)
    months: int | None = Field(default=None, ge=1)
    days: int | None = Field(default=None, ge=1)
    permanent: bool = False
    same_as_case_file: bool = False
    at_least: bool = False

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Term:
        kinds = [self.years or self.months or self.days, self.permanent, self.same_as_case_file]
        if sum(bool(k) for k in kinds) != 1:
            raise ValueError("give exactly one of years/months/days, permanent or same_as_case_file")
        return self


# --- identity -------------------------------------------------------------------------------------------


class ResponsibleUnit(Cited):
    name: Text
    duties: Text | None = None


class Agency(Strict):
    name: Text
    document: Text | None = None
    region: Text | None = None
    responsible_unit: ResponsibleUnit
    categories: listed(Category) = Field(min_length=1)
    categories_cite: Cites


# --- recording obligations (001/1) -------------------------------------------------------------------------


class Moment(Strict):
    at: Literal["activity_start", "activity_end"]
    text: Text


class ChecklistRow(Cited):
    id: Identifier
    categories: listed(Category) = Field(min_length=1)
    stage: Text
    matter: Text | None = None
    obligation: Obligation
    requirement: Text
    place: Text | None = None
    manner: listed(RecordingManner) = Field(min_length=1)
    recorder: Text | None = None
    starts_at: Moment
    ends_at: Moment
    storage: Term | None = None
    record_class: RecordClass | None = None
    key_moment_photos: bool = False

    def get_obligation_label(self) -> str:
        return str(self.obligation.label)


class Trigger(Cited):
    id: Identifier
    when: Condition
    label: Text


class RecordingConduct(Cited):
    id: Identifier
    label: Text
    # Whether someone watching the recording can tell if it was kept (an opening statement, telling the party): such
    # rules join the supervision checklist that reviewers score for each sampled record.
    playback_check: bool = False


class Recording(Strict):
    checklist: list[ChecklistRow] = Field(min_length=1)
    full_uninterrupted_when: list[Trigger] = []
    key_moments_when_full_impossible: Labelled | None = None
    # Given, only qualified enforcement officers may be the recording subject of a clip (004/7-8).
    subject_rule: Labelled | None = None
    conduct: list[RecordingConduct] = []


# --- collection and storage (001/3/5-6) ------------------------------------------------------------------------


class Deadline(Cited):
    id: Identifier
    applies_when: Literal["normal", "remote_or_continuous"]
    within: Literal["end_of_day", "hours"]
    hours: int | None = Field(default=None, ge=1, le=240)
    counted_from: Literal["activity_end", "return_to_unit", "recording_made"]
    label: Text

    @model_validator(mode="after")
    def _hours_when_needed(self) -> Deadline:
        if (self.within == "hours") != (self.hours is not None):
            raise ValueError("hours is required exactly when within is 'hours'")
        return self


class Classification(Cited):
    fields: listed(ClassificationField) = Field(min_length=1)


class Ingest(Strict):
    deadlines: list[Deadline] = Field(min_length=1)
    classification: Classification | None = None
    integrity: list[Labelled] = []


# --- retention and long-term preservation (000/2/15, 000/2/16) ------------------------------------------------------


class RetentionRule(Cited):
    id: Identifier
    applies_to: Condition
    keep: Term
    then: Literal["review_for_purge", "keep"] = "keep"
    label: Text


class CaseFileTier(Cited):
    id: Identifier
    when: Condition | None = None
    keep: Term
    label: Text


class CaseFileRetention(Cited):
    tiers: list[CaseFileTier] = []
    external_basis: Text | None = None

    @model_validator(mode="after")
    def _tiers_or_basis(self) -> CaseFileRetention:
        if not self.tiers and not self.external_basis:
            raise ValueError("give tiers or an external_basis for the case-file term")
        return self


class Retention(Strict):
    rules: list[RetentionRule] = Field(min_length=1)
    case_file: CaseFileRetention | None = None


class LabelCopies(Cited):
    count: int = Field(ge=1)
    label_fields: list[Text] = Field(min_length=1)


class DiscRecordForm(Cited):
    title: Text
    fields: list[Text] = Field(min_length=1)
    signatures: list[Text] = Field(min_length=1)


class LongTerm(Strict):
    triggers: list[Labelled] = Field(min_length=1)
    media: list[Text] = Field(min_length=1)
    copies: LabelCopies | None = None
    disc_record_form: DiscRecordForm | None = None


# --- access, evidence, confidentiality (000/1/4-8, 001/2/11, 000/1/10) ------------------------------------------------


class ApprovalStep(Strict):
    role: Approver
    kind: Literal["approve", "check", "consent"] = "approve"


class AccessRule(Cited):
    id: Identifier
    requesters: listed(RequesterType) = Field(min_length=1)
    actions: listed(AccessAction) = Field(min_length=1)
    purposes: listed(AccessPurpose) | None = None
    credentials: listed(Credential) = []
    lawyer_credentials: listed(Credential) = []
    verify_credentials: bool = False
    approval: Annotated[list[ApprovalStep], BeforeValidator(_steps)] = []
    enter_in_register: bool = True
    scope: AccessScope = AccessScope.ALL
    archive_room_only: bool = False
    special_reason_required: bool = False
    delivery: Text | None = None
    label: Text


class Fees(Cited):
    viewing: Literal["free", "charged"]
    copying: Literal["free", "requester_pays", "not_stated"]


class AccessExclusion(Labelled):
    unarchived_cases: bool = False


class Access(Strict):
    rules: list[AccessRule] = Field(min_length=1)
    fees: Fees | None = None
    exclusions: list[AccessExclusion] = []
    publication_needs_approval: Labelled | None = None
    deferred_to_law: list[Labelled] = []


class EvidenceExtraction(Cited):
    note_fields: list[Text] = Field(min_length=1)
    medium: Text
    attach_to_case_file: bool = True
    keep_copy: bool = False


class Confidentiality(Cited):
    marks: listed(ConfidentialityMark) = Field(min_length=1)
    use_only_for_enforcement: bool = False
    # Copying a marked record out needs these steps on top of the access rule's own (按保密规定使用).
    export_approval: Annotated[list[ApprovalStep], BeforeValidator(_steps)] = []


class CaseHandling(Cited):
    """Who names a case's handlers (承办人), who then view its records directly (000/1/4). A rulebook that says
    nothing leaves it to the head."""

    handlers_assigned_by: Approver = Approver.HEAD


# --- devices and interruptions (000/2/2-7, 000/2/12) ----------------------------------------------------------------


class UsageLedger(Cited):
    fields: list[Text] = Field(min_length=1)


class NoteReview(Cited):
    role: Approver
    label: Text


class PreUseCheckItem(Labelled):
    # Marks the item that asks for the device clock to be set: clips with a larger skew are findings under it.
    clock: bool = False


class Devices(Strict):
    kinds: list[Labelled] = Field(min_length=1)
    managed_by: ResponsibleUnit | None = None
    usage_ledger: UsageLedger | None = None
    pre_use_checks: list[PreUseCheckItem] = []
    maintenance: list[Labelled] = []
    fault_handling: list[Labelled] = []
    prohibitions: list[Labelled] = []


class Interruptions(Strict):
    reasons: list[Labelled] = Field(min_length=1)
    note_review: NoteReview | None = None
    resume_statement: Labelled | None = None
    forbidden: list[Labelled] = []


# --- decisions, supervision, accountability (000/2/17, 001/5, 002 附件2, 002 附件3) -------------------------


class DecisionCondition(Strict):
    decision_type: listed(DecisionType) | None = None
    decision_category: listed(Category) | None = None
    party_kind: listed(PartyKind) | None = None
    amount_at_least: int | None = Field(default=None, ge=0)
    law_requires_review: bool | None = None


class LegalReviewItem(Cited):
    id: Identifier
    category: Category
    item: Text
    when: DecisionCondition
    amount_threshold_not_set: bool = False
    basis: Text | None = None
    submitted_by: Text | None = None
    reviewed_by: Text | None = None
    materials: list[Text] = []
    review_points: list[Text] = []


class LegalReview(Strict):
    catalogue: list[LegalReviewItem] = Field(min_length=1)


class InspectionPlan(Cited):
    id: Identifier
    name: Text
    basis: Text | None = None
    targets: Text
    content: Text | None = None
    subject: Text
    method: Text
    # None where the rules set no share or frequency (001): the share is then given at each draw.
    share: float | None = Field(default=None, gt=0, le=1)
    frequency: Frequency | None = None
    # The checklist row a drawn inspection is recorded under.
    stage: Identifier | None = None
    # The checklist row the draw session itself is recorded under (001/1: 行政检查·随机抽查).
    draw_stage: Identifier | None = None


class RandomInspection(Strict):
    plans: list[InspectionPlan] = Field(min_length=1)


class Supervision(Strict):
    checks: list[Labelled] = Field(min_length=1)
    annual_review_at_least: int | None = Field(default=None, ge=1)
    annual_review_cite: Cites | None = None
    sampling_share: float | None = Field(default=None, gt=0, le=1)
    sampling_share_note: Text | None = None
    personal_assessment: Labelled | None = None


class Sanction(Labelled):
    severity: Literal["light", "serious"]


class Accountability(Strict):
    misconduct: list[Labelled] = Field(min_length=1)
    sanctions: list[Sanction] = Field(min_length=1)


# --- the pack -------------------------------------------------------------------------------------------


class PolicyPack(Strict):
    pack: Identifier
    version: int = Field(ge=1)
    effective_from: dt.date
    effective_from_note: Text | None = None
    source: Annotated[str, StringConstraints(pattern=r"^\d{3}_[0-9a-f]+\.txt$")]
    agency: Agency
    recording: Recording
    ingest: Ingest
    retention: Retention
    long_term: LongTerm
    access: Access
    evidence_extraction: list[EvidenceExtraction] = []
    confidentiality: Confidentiality | None = None
    case_handling: CaseHandling | None = None
    devices: Devices
    interruptions: Interruptions
    legal_review: LegalReview | None = None
    random_inspection: RandomInspection | None = None
    supervision: Supervision | None = None
    accountability: Accountability

    @property
    def document_number(self) -> str:
        return self.source[:3]

    @model_validator(mode="after")
    def _plans_name_checklist_rows(self) -> PolicyPack:
        rows = {row.id for row in self.recording.checklist}
        for plan in self.random_inspection.plans if self.random_inspection else []:
            for stage in (plan.stage, plan.draw_stage):
                if stage is not None and stage not in rows:
                    raise ValueError(f"inspection plan {plan.id} names {stage}, which is not a checklist row")
        return self
