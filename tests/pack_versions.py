"""Making and activating further versions of a shipped pack in tests, the way an agency would: a changed text, put
forward by its administrator and approved by its head."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from authz.roles import Role
from policy import activation
from policy.registry import registry
from tests.factories import UserFactory


def variant(code: str, *changes: tuple[str, str], version: int = 2) -> bytes:
    """The shipped first version of ``code`` with its version number raised and each (old, new) text replaced once."""
    text = registry().files(code)[0].text
    text = text.replace("\nversion: 1\n", f"\nversion: {version}\n", 1)
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.encode("utf-8")


def administrators(agency):
    """The agency's security administrator (who puts versions forward) and head (who approves them)."""
    admin = UserFactory(agency=agency, roles=(Role.SECURITY_ADMIN,))
    head = agency.staff.filter(role_grants__role=Role.HEAD).first() or UserFactory(agency=agency, roles=(Role.HEAD,))
    return admin, head


def put_in_force(agency, raw: bytes, *, effective: dt.date | None = None, name: str = "v2.yaml"):
    """Propose and approve a version, in force from ``effective`` (today by default)."""
    admin, head = administrators(agency)
    made = activation.propose(agency, raw, name, effective_from=effective or timezone.localdate(),
                              reason="新制度印发", actor=admin)
    return activation.decide(made, approve=True, comment="", actor=head)
