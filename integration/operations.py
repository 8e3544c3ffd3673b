"""The operations a token may be given, and what each lets a connected system do inside its agency.

A system acts as its principal, which holds no role of its own: for each call, the principal is lent the roles that
hold the capabilities the token's operations name, in the agency's own configuration (a pack may name another office
for a capability). So the rules of what it may touch are exactly the pages' rules — ``restrict`` and the action
functions decide — and a token without an operation is refused before any of them is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from authz import capabilities


@dataclass(frozen=True)
class Operation:
    name: str
    label: Any
    capabilities: tuple[str, ...]


OPERATIONS: dict[str, Operation] = {op.name: op for op in (
    Operation("cases.write", _("write cases, parties, handlers, activities and decisions, and link records"),
              ("case.view", "case.create", "case.edit", "case.oversee", "case.assign_handlers", "activity.edit",
               "decision.draft", "record.file", "record.oversee")),
    Operation("cases.read", _("read cases, activities and decisions"), ("case.view", "case.oversee")),
    Operation("records.read", _("read records' metadata (never their content)"), ("record.view", "record.oversee")),
    Operation("compliance.read", _("read compliance findings and rates"), ("finding.view", "compliance.oversee")),
    Operation("access.read", _("read the access register"), ("access.register",)),
    Operation("retention.read", _("read retention due lists"), ("retention.view", "record.oversee")),
    Operation("supervision.read", _("read supervision results"), ("review.view", "review.oversee")),
    Operation("feed.read", _("receive the agency's event feed"), ()),
)}


def choices() -> list[tuple[str, str]]:
    return [(op.name, str(op.label)) for op in OPERATIONS.values()]


def lent_roles(operations: list[str], agency: Any) -> frozenset[str]:
    """The roles a principal holds while a token with ``operations`` calls: those holding the capabilities."""
    roles: set[str] = set()
    for name in operations:
        operation = OPERATIONS.get(name)
        for capability in operation.capabilities if operation else ():
            roles |= capabilities.holders(capability, agency)
    return frozenset(roles)
