"""Roles, declared in one place. The three administrators are kept apart (三员分立)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("enforcement officer")
    ARCHIVIST = "archivist", _("records archivist")
    HEAD = "head", _("head of agency or unit")
    LEGAL_REVIEWER = "legal_reviewer", _("legal reviewer")
    SUPERVISOR = "supervisor", _("supervisor")
    # Keeps the recording devices of their own unit where the pack has units manage devices (issue 21, item 6).
    DEVICE_KEEPER = "device_keeper", _("device keeper of a unit")
    SYSTEM_ADMIN = "system_admin", _("system administrator")
    SECURITY_ADMIN = "security_admin", _("security administrator")
    AUDIT_ADMIN = "audit_admin", _("audit administrator")


ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
BUSINESS_ROLES = frozenset(set(Role) - ADMIN_ROLES)

# Roles that work with enforcement records and may therefore see their agency's cases and activities.
RECORD_ROLES = BUSINESS_ROLES
