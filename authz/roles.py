"""Roles and the role sets every rule is built from, declared once, below every app.

The three administrators are kept apart from the business roles and from each other (三员分立): they work on the
system (accounts, clearances, the audit trail) and never see evidence.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("enforcement officer")
    ARCHIVIST = "archivist", _("records archivist")
    HEAD = "head", _("head of agency or unit")
    LEGAL_REVIEWER = "legal_reviewer", _("legal reviewer")
    SUPERVISOR = "supervisor", _("supervisor")
    SYSTEM_ADMIN = "system_admin", _("system administrator")
    SECURITY_ADMIN = "security_admin", _("security administrator")
    AUDIT_ADMIN = "audit_admin", _("audit administrator")


ADMINS = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
# The business roles: they work with enforcement records, and only they see their agency's cases and evidence.
STAFF = frozenset(set(Role) - ADMINS)
EVERYONE = frozenset(Role)

# Packs name approvers and reviewers by office (000/1/4 主要负责人, 001/3/13 政策法规处 …); the system knows people by
# role. The legal office is the legal reviewer's; every leader, the case office's leadership and a designated
# approver hold the head role.
OFFICE_ROLES = {
    "head": Role.HEAD,
    "leader_in_charge": Role.HEAD,
    "case_office": Role.HEAD,
    "designated": Role.HEAD,
    "policy_office": Role.LEGAL_REVIEWER,
}


def office_role(office: str) -> Role:
    """The role that acts for an office a pack names; an office the system does not know is a pack error."""
    return OFFICE_ROLES[str(office)]


def roles_of(user: Any) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(user.role_set)


def is_staff(user: Any) -> bool:
    """Whether the user works with their agency's records: a business role in an agency."""
    return bool(getattr(user, "agency_id", None)) and bool(roles_of(user) & STAFF)


def staff_agency(user: Any):
    """The agency whose records the user works with, or None (administrators, accounts without an agency)."""
    return user.agency if is_staff(user) else None
