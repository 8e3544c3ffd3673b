"""The retention end of one record from its agency's pack (000/2/15): the longest applicable rule wins; a term tied to
the case file runs from the case's archiving and stays open while the case is not archived."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_noop

from policy import current, rules
from policy.vocabulary import CaseFlag

_FLAG_FIELDS = {
    CaseFlag.MAJOR_PENALTY: "case__major_penalty", CaseFlag.MAJOR_SOCIAL_IMPACT: "case__major_social_impact",
    CaseFlag.COMPLEX: "case__complex_case", CaseFlag.HEARING: "case__hearing",
    CaseFlag.COMPULSORY_EXECUTION: "case__compulsory_execution",
}


@dataclass(frozen=True)
class Computed:
    until: dt.date | None
    permanent: bool = False
    pending: str = ""  # stored as written (a pack's text or an untranslated message), translated where shown
    rules: str = ""
    cites: str = ""
    label: str = ""


def facts_of(row: dict) -> rules.Facts:
    linked = row["case_id"] is not None
    return rules.Facts(
        record=row["kind"], usage=row["usage"] or None, linked_to_case=linked,
        case_flags=frozenset(str(flag) for flag, name in _FLAG_FIELDS.items() if row.get(name)),
        case_procedure=row["case__procedure"] if linked else None,
        case_category=row["case__category"] if linked else None,
        stage=row.get("activity__stage"))


def _record_day(row: dict) -> dt.date:
    moment = row["recorded_start"] or row["stored_at"]
    return timezone.localtime(moment).date()


def compute(row: dict, packs: current.Versions | None = None) -> Computed:
    """The record's term under the pack version it was filed under (what was done stays under its own rules)."""
    pack = (packs or current.Versions()).get(row["agency__code"], row["pack_version"])
    decision = rules.retention_for(pack, facts_of(row))
    names = "、".join(rule.id for rule in decision.rules)
    cites = "、".join(decision.cites)
    label = "；".join(rule.label for rule in decision.rules)
    if decision.case_file_tier is not None:
        label += f"；{decision.case_file_tier.label}"
    if decision.term is None:
        return Computed(None, pending=decision.undetermined or gettext_noop("no retention rule applies"), rules=names,
                        cites=cites, label=label)
    if decision.term.permanent:
        return Computed(None, permanent=True, rules=names, cites=cites, label=label)
    if decision.case_file_tier is not None:
        archived = row["case__archived_on"]
        if archived is None:
            return Computed(None, pending=gettext_noop("case not archived yet"), rules=names, cites=cites, label=label)
        return Computed(rules.term_end(archived, decision.term), rules=names, cites=cites, label=label)
    return Computed(rules.term_end(_record_day(row), decision.term), rules=names, cites=cites, label=label)
