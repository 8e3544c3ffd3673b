"""Evaluating pack rules against facts. Conditions are data; nothing here knows any agency by name."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy, gettext_noop

from policy.schema import (
    AccessRule,
    CaseFileTier,
    ChecklistRow,
    Condition,
    Deadline,
    DecisionCondition,
    LegalReviewItem,
    PolicyPack,
    RetentionRule,
    Term,
    Trigger,
)


@dataclass(frozen=True)
class Facts:
    """What is known about one record, its activity and its case when a rule is evaluated."""

    record: str | None = None
    usage: str | None = None
    linked_to_case: bool = False
    case_flags: frozenset[str] = frozenset()
    case_procedure: str | None = None
    case_category: str | None = None
    properties: frozenset[str] = frozenset()
    activity_category: str | None = None
    stage: str | None = None


def matches(condition: Condition | None, facts: Facts) -> bool:
    if condition is None:
        return True
    checks = [
        (condition.record, facts.record),
        (condition.usage, facts.usage),
        (condition.case_procedure, facts.case_procedure),
        (condition.case_category, facts.case_category),
        (condition.activity_category, facts.activity_category),
    ]
    for allowed, value in checks:
        if allowed is not None and value not in {a.value for a in allowed}:
            return False
    if condition.stage is not None and facts.stage not in condition.stage:
        return False
    if condition.linked_to_case is not None and condition.linked_to_case != facts.linked_to_case:
        return False
    if condition.case_flag is not None and not {f.value for f in condition.case_flag} & facts.case_flags:
        return False
    return not (condition.property is not None and not set(condition.property) & facts.properties)


# --- terms ------------------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start: dt.date, term: Term) -> dt.date | None:
    """The last day covered by a fixed term, or None for permanent."""
    if term.permanent:
        return None
    if term.same_as_case_file:
        raise ValueError("resolve same_as_case_file with the case-file term first")
    end = add_months(start, 12 * (term.years or 0) + (term.months or 0))
    return end + dt.timedelta(days=term.days or 0)


_REFERENCE_DAY = dt.date(2000, 1, 31)


def _length_key(term: Term) -> tuple[int, dt.date]:
    end = term_end(_REFERENCE_DAY, term)
    return (1, dt.date.max) if end is None else (0, end)


@dataclass(frozen=True)
class RetentionDecision:
    """The term that applies to a record: the longest of all applicable rules (000/2/15), with where it comes from."""

    term: Term | None
    rules: tuple[RetentionRule, ...] = ()
    case_file_tier: CaseFileTier | None = None
    undetermined: str = ""
    cites: tuple[str, ...] = field(default=())

    def end(self, start: dt.date) -> dt.date | None:
        if self.term is None:
            raise ValueError(self.undetermined or gettext_noop("no retention rule applies"))
        return term_end(start, self.term)


def case_file_tier(pack: PolicyPack, facts: Facts) -> CaseFileTier | None:
    """The longest case-file tier whose condition the case meets; an unconditioned tier is the default."""
    case_file = pack.retention.case_file if pack.retention else None
    if case_file is None or not case_file.tiers:
        return None
    candidates = [tier for tier in case_file.tiers if matches(tier.when, facts)]
    return max(candidates, key=lambda tier: _length_key(tier.keep), default=None)


def _row_rule(row: ChecklistRow) -> RetentionRule:
    """A checklist row's storage term, read as a retention rule for the records of the row's activities."""
    return RetentionRule(id=row.id, applies_to=Condition(stage=[row.id]), keep=row.storage, label=row.stage,
                         cite=row.cite)


def retention_rules(pack: PolicyPack) -> list[RetentionRule]:
    """The pack's retention rules and the storage term of every checklist row that gives one (001/1, 002 附件1)."""
    return [*(pack.retention.rules if pack.retention else []),
            *(_row_rule(row) for row in pack.checklist if row.storage is not None)]


def retention_for(pack: PolicyPack, facts: Facts) -> RetentionDecision:
    applicable = [rule for rule in retention_rules(pack) if matches(rule.applies_to, facts)]
    # A term "as long as the case file" has nothing to follow for a record of no case (a row's storage says so for
    # every record of its activities, linked or not).
    applicable = [rule for rule in applicable if facts.linked_to_case or not rule.keep.same_as_case_file]
    if not applicable:
        if pack.retention is None and not any(row.storage for row in pack.checklist):
            return RetentionDecision(term=None, undetermined=gettext_noop("the agency's rules set no retention term"))
        return RetentionDecision(term=None, undetermined=gettext_noop("no retention rule of the pack applies"))
    resolved: list[tuple[Term, RetentionRule, CaseFileTier | None]] = []
    unresolved: list[RetentionRule] = []
    for rule in applicable:
        if rule.keep.same_as_case_file:
            tier = case_file_tier(pack, facts)
            if tier is None:
                unresolved.append(rule)
            else:
                resolved.append((tier.keep, rule, tier))
        else:
            resolved.append((rule.keep, rule, None))
    if unresolved:
        # The case file's own term is set outside the pack (e.g. an archives regulation): it must be entered by hand.
        case_file = pack.retention.case_file if pack.retention else None
        basis = case_file.external_basis if case_file else ""
        return RetentionDecision(
            term=None, rules=tuple(applicable), undetermined=basis or gettext_noop("case-file term unknown"),
            cites=_cites(applicable),
        )
    term, _rule, tier = max(resolved, key=lambda item: _length_key(item[0]))
    cites = _cites(applicable) + (tuple(tier.cite) if tier else ())
    return RetentionDecision(term=term, rules=tuple(applicable), case_file_tier=tier, cites=cites)


def _cites(rules: Iterable[RetentionRule]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for rule in rules for c in rule.cite))


# --- recording obligations ---------------------------------------------------------------------------------


def checklist_rows(pack: PolicyPack, category: str | None = None) -> list[ChecklistRow]:
    return [row for row in pack.checklist if category is None or category in {c.value for c in row.categories}]


def checklist_row(pack: PolicyPack, row_id: str) -> ChecklistRow | None:
    return next((row for row in pack.checklist if row.id == row_id), None)


def recording_required(row: ChecklistRow, facts: Facts) -> bool:
    return row.obligation.always() or matches(row.obligation.when, facts)


def property_labels(pack: PolicyPack, ids: Iterable[str]) -> list[str]:
    labels = {p.id: p.label for p in pack.properties}
    return [labels.get(i, i) for i in ids]


def obligation_label(pack: PolicyPack, row: ChecklistRow) -> str:
    """"must be recorded", or "must be recorded when …" naming the properties the row turns on."""
    from django.utils.translation import gettext as _

    when = row.obligation.when
    if when is None:
        return _("must be recorded")
    named = property_labels(pack, when.property or []) + [str(s) for s in (when.stage or [])]
    if not named:
        return _("must be recorded in the cases its rule names")
    return _("must be recorded when: %(what)s") % {"what": "、".join(named)}


def uninterrupted_triggers(pack: PolicyPack, facts: Facts) -> list[Trigger]:
    triggers = pack.recording.full_uninterrupted_when if pack.recording else []
    return [trigger for trigger in triggers if matches(trigger.when, facts)]


# --- access ---------------------------------------------------------------------------------------------


def access_rules_for(pack: PolicyPack, requester: str, action: str, purpose: str | None = None) -> list[AccessRule]:
    """The rules under which this requester may take this action; empty means the pack allows no such access."""
    found = []
    for rule in pack.access.rules if pack.access else []:
        if requester not in {r.value for r in rule.requesters} or action not in {a.value for a in rule.actions}:
            continue
        if rule.purposes is not None and purpose not in {p.value for p in rule.purposes}:
            continue
        found.append(rule)
    return found


# --- legal review ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    category: str
    decision_type: str
    party_kind: str | None = None
    amount: int | None = None
    law_requires_review: bool = False


def _decision_matches(condition: DecisionCondition, decision: Decision) -> bool:
    if condition.decision_type is not None and decision.decision_type not in {d.value for d in condition.decision_type}:
        return False
    if condition.decision_category is not None and decision.category not in {
        c.value for c in condition.decision_category
    }:
        return False
    if condition.party_kind is not None and decision.party_kind not in {p.value for p in condition.party_kind}:
        return False
    if condition.amount_at_least is not None and (decision.amount or 0) < condition.amount_at_least:
        return False
    return not (condition.law_requires_review and not decision.law_requires_review)


def legal_review_items(pack: PolicyPack, decision: Decision) -> list[LegalReviewItem]:
    if pack.legal_review is None:
        return []
    return [item for item in pack.legal_review.catalogue if _decision_matches(item.when, decision)]


# --- storage deadlines (the 24-hour rule, 000/2/13) -----------------------------------------------------------


@dataclass(frozen=True)
class StorageDue:
    """When a recording had to be in the archive, by which rule; ``due_at`` is None when it cannot be judged."""

    due_at: dt.datetime | None
    rule: Deadline | None
    reason: str = ""


def storage_due(pack: PolicyPack, *, recorded_end: dt.datetime | None, activity_end: dt.datetime | None,
                remote_or_continuous: bool, returned_to_unit_at: dt.datetime | None,
                tz: dt.tzinfo) -> StorageDue:
    """The earliest deadline among the pack's rules for this situation (normal, or remote/continuous work)."""
    situation = "remote_or_continuous" if remote_or_continuous else "normal"
    deadlines = pack.ingest.deadlines if pack.ingest else []
    rules = [d for d in deadlines if d.applies_when == situation] or [
        d for d in deadlines if d.applies_when == "normal"
    ]
    anchors = {
        "recording_made": recorded_end,
        "activity_end": activity_end or recorded_end,
        "return_to_unit": returned_to_unit_at or activity_end or recorded_end,
    }
    best: StorageDue | None = None
    for rule in rules:
        anchor = anchors[rule.counted_from]
        if anchor is None:
            continue
        if rule.within == "end_of_day":
            local_day = anchor.astimezone(tz).date()
            due = dt.datetime.combine(local_day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        else:
            due = anchor + dt.timedelta(hours=rule.hours or 0)
        if best is None or due < best.due_at:
            best = StorageDue(due, rule)
    if not deadlines:
        return StorageDue(None, None, "the agency's rules set no storage deadline")
    return best or StorageDue(None, None, "no recording or activity end time to count from")


# --- sections a pack may leave out: what the rest of the system reads when it does -----------------------------------

# Device kinds when the rulebook names none: the kinds every rulebook's 音像记录设备 covers (000/2/2 and its peers).
DEFAULT_DEVICE_KINDS = {
    "body_camera": gettext_lazy("body camera"), "camera": gettext_lazy("camera"),
    "video_camera": gettext_lazy("video camera"), "audio_recorder": gettext_lazy("audio recorder"),
    "handheld_terminal": gettext_lazy("handheld enforcement terminal"), "cctv": gettext_lazy("video surveillance"),
}


def device_kinds(pack: PolicyPack) -> dict[str, str]:
    if pack.devices is None:
        return {key: str(label) for key, label in DEFAULT_DEVICE_KINDS.items()}
    return {kind.id: kind.label for kind in pack.devices.kinds}


def pre_use_items(pack: PolicyPack) -> list:
    return list(pack.devices.pre_use_checks) if pack.devices else []


def long_term_triggers(pack: PolicyPack) -> list:
    return list(pack.long_term.triggers) if pack.long_term else []


def disc_copies(pack: PolicyPack):
    return pack.long_term.copies if pack.long_term else None


def disc_record_form(pack: PolicyPack):
    return pack.long_term.disc_record_form if pack.long_term else None


# --- the agency's numbers (``numbers``), each falling back to the deployment's setting --------------------------------

NUMBER_SETTINGS = {
    "gap_tolerance_seconds": "COMPLIANCE_GAP_SECONDS",
    "uninterrupted_gap_seconds": "COMPLIANCE_UNINTERRUPTED_GAP_SECONDS",
    "coverage_edge_seconds": "COMPLIANCE_EDGE_SECONDS",
    "clock_tolerance_seconds": "COMPLIANCE_CLOCK_SECONDS",
    "pre_use_check_hours": "COMPLIANCE_PRE_USE_HOURS",
    "access_grant_max_days": "ACCESS_GRANT_MAX_DAYS",
    "disc_read_check_days": "DISC_READ_CHECK_DAYS",
    "draw_officers_per_target": "DRAW_OFFICERS_PER_TARGET",
}


def number(pack: PolicyPack | None, name: str) -> int:
    """One of the agency's numbers: the pack's own, else the deployment's default (README, 配置)."""
    from django.conf import settings

    value = getattr(pack.numbers, name) if pack is not None and pack.numbers is not None else None
    return getattr(settings, NUMBER_SETTINGS[name]) if value is None else value
