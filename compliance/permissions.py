"""Who sees compliance findings and interruption notes, and who reviews the notes (000/2/12): the agency-wide roles
see every finding; officers those on their own recordings and activities."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from authz import scopes
from authz.capabilities import can, declare
from authz.roles import STAFF, Role, is_staff, office_role
from policy.registry import registry

ACTIVITY = "cases.activity"


def _note_reviewers(agency) -> list[str] | None:
    review = registry().in_force(agency.pack_code).interruptions.note_review
    return None if review is None else [office_role(review.role)]


def declare_capabilities() -> None:
    declare("finding.view", _("see compliance findings and interruption notes"), STAFF)
    declare("compliance.oversee", _("see the agency's compliance, every finding and note"),
            (Role.ARCHIVIST, Role.HEAD, Role.SUPERVISOR, Role.LEGAL_REVIEWER))
    declare("note.write", _("write interruption notes on one's activities"), STAFF, cite="000/2/12")
    declare("note.review", _("review interruption notes"), (Role.HEAD,), by_pack=_note_reviewers, cite="000/2/12")


def _oversees(user) -> bool:
    return can(user, "compliance.oversee")


def _own(field: str):
    def rule(user) -> Q:
        return Q(**{field: user}) | Q(activity__in=scopes.scoped(ACTIVITY, user, "explain"))

    return rule


def declare_scopes() -> None:
    for label, own in (("compliance.finding", "officer"), ("compliance.interruptionnote", "author")):
        scopes.model(label)
        scopes.require(label, "view", is_staff)
        scopes.allow(label, "view", _oversees)
        scopes.allow(label, "view", _own(own))
    scopes.model("compliance.activitystatus")
    scopes.require("compliance.activitystatus", "view", _oversees)
    scopes.allow("compliance.activitystatus", "view", scopes.everything)


def register() -> None:
    declare_capabilities()
    declare_scopes()
