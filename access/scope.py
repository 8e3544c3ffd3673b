"""The one permission choke point (STYLE 3): every list, detail, stream, copy, export and report query for evidence,
cases and activities is narrowed here, in SQL, by what the user may do.

- ``LIST``: the record exists for the user (metadata, counts). Staff of the agency, minus confidential records they
  are not cleared for (000/1/10) — not even counted.
- ``PLAY``: the content may be shown inside the application: the archivist who keeps it, the case officer where the
  pack lets case officers view directly, holders of an active grant with a viewing action, and the reviewers of an
  open sampling round for the records it sampled.
- ``COPY``: a copy may leave (download, package, disc): only under an active grant with a copying action, or the
  case officer extracting evidence for the case (001/2/11) through ``evidence_extractable``.
Administrators see no evidence at all (三员分立): the audit administrator reads the ledger, nothing else.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q, QuerySet
from django.utils import timezone

from access import rules
from org.models import User
from org.roles import Role
from org.visibility import record_agency
from policy import current
from policy.vocabulary import ConfidentialityMark

CUSTODIAN_ROLES = frozenset({Role.ARCHIVIST})
# Who sees every access request of the agency (to handle, approve, check or supervise them); others see their own.
REQUEST_OVERSEERS = frozenset({Role.ARCHIVIST, Role.HEAD, Role.LEGAL_REVIEWER, Role.SUPERVISOR})
# Who sees every review round and misconduct case of the agency; reviewers see their rounds, officers their own cases.
SUPERVISION_OVERSEERS = frozenset({Role.HEAD, Role.SUPERVISOR})


class Action(StrEnum):
    LIST = "list"
    PLAY = "play"
    COPY = "copy"


def restrict(queryset: QuerySet, user: User, action: Action = Action.LIST) -> QuerySet:
    """``queryset`` narrowed to what ``user`` may do with it; unknown models are refused outright."""
    agency = record_agency(user)
    if agency is None:
        return queryset.none()
    label = queryset.model._meta.label_lower
    if label == "evidence.record":
        return _records(queryset.filter(agency=agency), user, Action(action), agency)
    if label == "cases.case":
        return queryset.filter(agency=agency).filter(_case_cleared(user))
    if label == "cases.activity":
        return queryset.filter(agency=agency)
    if label == "access.accessrequest":
        requests = queryset.filter(agency=agency)
        if user.role_set & REQUEST_OVERSEERS:
            return requests
        return requests.filter(Q(requester_user=user) | Q(handled_by=user))
    if label in ("supervision.reviewround", "supervision.misconductcase"):
        rows = queryset.filter(agency=agency)
        if user.role_set & SUPERVISION_OVERSEERS:
            return rows
        return rows.filter(reviewers=user) if label == "supervision.reviewround" else rows.filter(officer=user)
    return queryset.none()


def _records(records: QuerySet, user: User, action: Action, agency) -> QuerySet:
    from cases.queries import handled_case_ids
    from supervision.queries import reviewing_record_ids

    granted = granted_record_ids(user)
    visible = records.filter(_record_cleared(user) | Q(pk__in=granted))
    if action == Action.LIST:
        return visible
    visible = visible.filter(purged_at__isnull=True)  # a purged record is a tombstone: metadata, no content
    if action == Action.PLAY:
        if user.role_set & CUSTODIAN_ROLES:
            return visible
        # Reviewers of an open sampling round play what was sampled (000/2/17, 001/3/16, 004/22).
        allowed = Q(pk__in=granted_record_ids(user, rules.PLAY_ACTIONS)) | Q(pk__in=reviewing_record_ids(user))
        if rules.plays_directly(current.in_force(agency)):
            allowed |= Q(officer=user) | Q(case_id__in=handled_case_ids(user))
        return visible.filter(allowed)
    return visible.filter(pk__in=granted_record_ids(user, rules.COPY_ACTIONS))


def _hidden_marks(user: User) -> list[str]:
    cleared = set(user.clearances or ())
    return [mark for mark in ConfidentialityMark.values if mark not in cleared]


def _record_cleared(user: User) -> Q:
    from cases.queries import handled_case_ids

    hidden = Q(pk__in=[])
    for mark in _hidden_marks(user):
        hidden |= Q(confidentiality=mark) | Q(**{f"case__{mark}": True})
    # The officer who made a record and the handlers of its case work with it whatever its mark.
    return ~hidden | Q(officer=user) | Q(case_id__in=handled_case_ids(user))


def _case_cleared(user: User) -> Q:
    from cases.queries import handled_case_ids

    hidden = Q(pk__in=[])
    for mark in _hidden_marks(user):
        hidden |= Q(**{mark: True})
    return ~hidden | Q(pk__in=handled_case_ids(user))


def concealed_case_ids(user: User) -> set[int]:
    """Cases of the user's agency whose number and title the user may not read (000/1/10): pages that reach them through
    an activity, a record or a request show them masked. Few cases carry marks, so the set stays small."""
    agency = record_agency(user)
    if agency is None:
        return set()
    from cases.models import Case

    return set(Case.objects.filter(agency=agency).exclude(_case_cleared(user)).values_list("pk", flat=True))


def granted_record_ids(user: User, actions: frozenset[str] | None = None) -> QuerySet:
    """Ids of records under the user's active grants (for external requesters, the archivist handling them holds
    the grant), optionally only grants that include one of ``actions``."""
    from access.models import AccessRequest

    now = timezone.now()
    grants = AccessRequest.objects.filter(status=AccessRequest.Status.GRANTED, valid_from__lte=now,
                                          valid_until__gte=now)
    grants = grants.filter(Q(requester_user=user) | Q(requester_user__isnull=True, handled_by=user))
    if actions is not None:
        ids = [pk for pk, granted in grants.values_list("pk", "actions") if set(granted) & actions]
        grants = AccessRequest.objects.filter(pk__in=ids)
    return AccessRequest.records.through.objects.filter(accessrequest__in=grants).values("record_id")
