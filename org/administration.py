"""Which agencies an administrator administers: their own, and, for the administrators of an agency that hosts the
platform, the agencies it hosts (a city bureau running the system for county bureaus).

The authorization registry's scopes are bound to the user's own agency, which is right for records; accounts,
units and the event log of hosted agencies are the host administrators' work, and this module is the one place that
widens to them. It decides only *which agencies*; *what* each administrator may do there is a capability
(``org/permissions.py``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from org.models import Agency, Unit, User


def root_of(agency: Agency) -> Agency:
    """The agency that runs the platform an agency is on: its host, or itself."""
    return agency.hosted_by if agency.hosted_by is not None else agency


def administered_agencies(user: Any) -> QuerySet[Agency]:
    agency_id = getattr(user, "agency_id", None)
    if not agency_id or not getattr(user, "is_authenticated", False):
        return Agency.objects.none()
    return Agency.objects.filter(Q(pk=agency_id) | Q(hosted_by_id=agency_id)).order_by("name")


def hosted_agencies(user: Any) -> QuerySet:
    """The ids of the agencies the user's agency hosts (a subquery for the authorization registry's reach)."""
    agency_id = getattr(user, "agency_id", None)
    return Agency.objects.filter(hosted_by_id=agency_id).values("pk") if agency_id else Agency.objects.none()


def administered_staff(user: Any) -> QuerySet[User]:
    return User.objects.filter(agency__in=administered_agencies(user))


def administered_units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(agency__in=administered_agencies(user))


def administers(user: Any, agency: Agency | int | None) -> bool:
    if agency is None:
        return False
    agency_id = agency if isinstance(agency, int) else agency.pk
    return administered_agencies(user).filter(pk=agency_id).exists()


def sees_unattributed_events(user: Any) -> bool:
    """Events of no agency (failed logins under unknown names, checkpoints) belong to the platform: the auditors of an
    agency that is not hosted by another read them."""
    agency = getattr(user, "agency", None)
    return agency is not None and agency.hosted_by_id is None
