"""Evaluating pack rules against facts. Conditions are data; nothing here knows any agency by name."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop

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
    activity_flags: frozenset[str] = frozenset()
    activity_category: str | None = None


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
    if condition.linked_to_case is not None and condition.linked_to_case != facts.linked_to_case:
        return False
    if condition.case_flag is not None and not {f.value for f in condition.case_flag} & facts.case_flags:
        return False
    return not (
        condition.activity_flag is not None and not {f.value for f in condition.activity_flag} & facts.activity_flags
    )


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
    case_file = pack.retention.case_file
    if case_file is None or not case_file.tiers:
        return None
    candidates = [tier for tier in case_file.tiers if matches(tier.when, facts)]
    return max(candidates, key=lambda tier: _length_key(tier.keep), default=None)


def retention_for(pack: PolicyPack, facts: Facts) -> RetentionDecision:
    applicable = [rule for rule in pack.retention.rules if matches(rule.applies_to, facts)]
    if not applicable:
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
        basis = pack.retention.case_file.external_basis if pack.retention.case_file else ""
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
    return [row for row in pack.recording.checklist
            if category is None or category in {c.value for c in row.categories}]


def checklist_row(pack: PolicyPack, row_id: str) -> ChecklistRow | None:
    return next((row for row in pack.recording.checklist if row.id == row_id), None)


def recording_required(row: ChecklistRow, facts: Facts) -> bool:
    return row.obligation.value == "mandatory" or "dispute_likely" in facts.activity_flags


def uninterrupted_triggers(pack: PolicyPack, facts: Facts) -> list[Trigger]:
    return [trigger for trigger in pack.recording.full_uninterrupted_when if matches(trigger.when, facts)]


# --- access ---------------------------------------------------------------------------------------------


def access_rules_for(pack: PolicyPack, requester: str, action: str, purpose: str | None = None) -> list[AccessRule]:
    """The rules under which this requester may take this action; empty means the pack allows no such access."""
    found = []
    for rule in pack.access.rules:
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
    rules = [d for d in pack.ingest.deadlines if d.applies_when == situation] or [
        d for d in pack.ingest.deadlines if d.applies_when == "normal"
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
    return best or StorageDue(None, None, "no recording or activity end time to count from")
