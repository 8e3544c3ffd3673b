"""Readable names for the ids that events carry: the shared vocabulary, roles, and the ids of an agency's own pack
(its checklist stages, interruption reasons, misconduct kinds, access rules …)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel


def value_labels(agency_code: str) -> dict[str, object]:
    """Id → label, for one page's worth of events (the caller keeps it for the page: the pack is walked each time, so
    a changed pack never shows stale names). Lazy translations stay lazy, so one table serves every language."""
    from org.models import Agency
    from policy import current

    labels = dict(_common())
    agency = Agency.objects.filter(code=agency_code).first() if agency_code else None
    if agency is not None:
        from supervision.reviews import CONDUCT_PREFIX

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
    """The shared vocabulary and roles first, then the words of the rules page, then the choices of every model
    field (a hold's kind, a state …)."""
    from django.apps import apps
    from django.db import models

    from org.roles import Role
    from policy import vocabulary
    from policy.presenter import VALUE_LABELS

    labels: dict[str, object] = {}
    enums = [value for value in vars(vocabulary).values()
             if isinstance(value, type) and issubclass(value, models.TextChoices)]
    for enum in [*enums, Role]:
        labels.update({member.value: member.label for member in enum})
    for value, label in VALUE_LABELS.items():
        labels.setdefault(value, label)
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str) and value:
                    labels.setdefault(value, label)
    return labels


def _collect(node: object, labels: dict[str, str]) -> None:
    if isinstance(node, BaseModel):
        ident = getattr(node, "id", None)
        label = getattr(node, "label", None) or getattr(node, "stage", None)
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
