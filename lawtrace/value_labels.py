"""Readable names for the ids that events carry: the shared vocabulary, roles, and the ids of an agency's own pack
(its checklist stages, interruption reasons, misconduct kinds, access rules …)."""

from __future__ import annotations

from functools import lru_cache

from django.db import models
from pydantic import BaseModel

from authz.roles import Role
from org.models import Agency
from policy import current, vocabulary
from policy.presenter import VALUE_LABELS
from supervision.reviews import CONDUCT_PREFIX


def value_labels(agency_code: str) -> dict[str, object]:
    """Id → label, for one page's worth of events (the caller keeps it for the page: the pack is walked each time, so
    a changed pack never shows stale names). Lazy translations stay lazy, so one table serves every language."""
    labels = dict(_common())
    agency = Agency.objects.filter(code=agency_code).first() if agency_code else None
    if agency is not None:
        try:
            pack = current.in_force(agency)
        except current.NoPackInForce:
            return labels
        pack_labels: dict[str, str] = {pack.pack: pack.agency.name}
        _collect(pack, pack_labels)
        labels.update(pack_labels)
        # A review round scores the recording rules under prefixed ids, so they never clash with its own checks.
        labels.update({f"{CONDUCT_PREFIX}{rule.id}": rule.label
                       for rule in (pack.recording.conduct if pack.recording else [])})
    return labels


@lru_cache(maxsize=1)
def _common() -> dict[str, object]:
    """The shared vocabulary and roles, then the words of the rules page. Each value has one label here
    (``conflicts`` is empty, tests/test_value_labels.py); a model field's choices are not in it, since the field
    labels its own values where they are shown (ledger.display)."""
    labels: dict[str, object] = {}
    for _source, value, label in _sources():
        labels.setdefault(value, label)
    return labels


def conflicts(sources: list[tuple[str, str, object]] | None = None) -> dict[str, dict[str, str]]:
    """Values that two sources of the shared map label differently: value → {source: label as read}."""
    seen: dict[str, dict[str, str]] = {}
    for source, value, label in _sources() if sources is None else sources:
        seen.setdefault(value, {})[source] = str(label)
    return {value: labels for value, labels in seen.items() if len(set(labels.values())) > 1}


def _sources() -> list[tuple[str, str, object]]:
    # These name things rather than values: a record's metadata fields, and a case's flags (its boolean fields).
    field_names = {vocabulary.ClassificationField, vocabulary.CaseFlag}
    enums: list[type[models.TextChoices]] = [
        value for value in vars(vocabulary).values()
        if isinstance(value, type) and issubclass(value, models.TextChoices) and value not in field_names]
    enums.append(Role)
    found = [(enum.__name__, member.value, member.label) for enum in enums for member in enum]
    return found + [("policy.presenter.VALUE_LABELS", value, label) for value, label in VALUE_LABELS.items()]


def _collect(node: object, labels: dict[str, str]) -> None:
    if isinstance(node, BaseModel):
        ident = getattr(node, "id", None)
        label = getattr(node, "label", None) or getattr(node, "stage", None) or getattr(node, "item", None)
        if isinstance(ident, str) and isinstance(label, str):
            labels.setdefault(ident, label)
        for name in type(node).model_fields:
            _collect(getattr(node, name), labels)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _collect(item, labels)
    elif isinstance(node, dict):
        for item in node.values():
            _collect(item, labels)
