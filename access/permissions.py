"""The access procedure's part of who may do what (000/1/4-10, 001/4/3-7): requests, approvals, grants, the register,
packages and clearances, and the records each grant opens to its holder.

A case officer views their cases' records without asking where the pack says so (000/1/4, 001/4/3), and a grant
filed as case officer covers only the records of cases its holder still handles; everything else needs an active
grant under the pack's rule for the requester's real type.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access import rules
from access.models import AccessRequest
from authz import scopes
from authz.capabilities import can, declare
from authz.roles import STAFF, Role, is_staff, office_role
from policy.registry import registry
from policy.vocabulary import RequesterType

RECORD = "evidence.record"
REQUEST = "access.accessrequest"


def _approvers(agency) -> list[str]:
    """The roles acting for every office the pack names in an approval step (access rules, marked copies)."""
    pack = registry().in_force(agency.pack_code)
    steps = [step for rule in pack.access.rules for step in rule.approval]
    steps += pack.confidentiality.export_approval if pack.confidentiality else []
    return sorted({office_role(step.role) for step in steps})


def declare_capabilities() -> None:
    declare("access.request", _("ask for access to records"), STAFF)
    declare("access.file_for_others", _("file access requests for outside requesters and colleagues"),
            (Role.ARCHIVIST,), cite="000/1/6")
    declare("access.oversee", _("see every access request of the agency"),
            (Role.ARCHIVIST, Role.HEAD, Role.LEGAL_REVIEWER, Role.SUPERVISOR))
    declare("access.decide", _("decide a step of an access request"), (Role.HEAD,), by_pack=_approvers)
    declare("access.revoke", _("revoke an access grant"), (Role.ARCHIVIST, Role.HEAD))
    declare("access.register", _("read the access register"), (Role.ARCHIVIST, Role.HEAD, Role.SUPERVISOR),
            cite="000/1/9")
    declare("package.make", _("make evidence packages under a copying grant"), STAFF, cite="001/2/11")
    declare("package.verify", _("check an evidence package"), STAFF)
    declare("clearance.set", _("decide who is cleared for which confidentiality mark"), (Role.SECURITY_ADMIN,),
            cite="000/1/10")


def held(user) -> Q:
    """Grants the user holds: their own, and for outside requesters (who have no account) the archivist's."""
    return Q(requester_user=user) | Q(requester_user__isnull=True, handled_by=user)


def active_grants(user, column: str | None = None):
    now = timezone.now()
    grants = AccessRequest.objects.filter(held(user), status=AccessRequest.Status.GRANTED, valid_from__lte=now,
                                          valid_until__gte=now)
    return grants.filter(**{column: True}) if column else grants


def _links(user, column: str | None):
    """Links of records to the user's active grants; a grant filed as case officer covers only the records of the
    cases its holder handles now (000/1/4), whatever the row says."""
    links = AccessRequest.records.through.objects.filter(accessrequest__in=active_grants(user, column))
    return links.filter(~Q(accessrequest__requester_type=RequesterType.CASE_OFFICER)
                        | Q(record__case__in=scopes.scoped("cases.case", user, "handle")))


def granted(user, column: str | None = None) -> Q:
    """Records under the user's active grants (``plays``: that show content, ``copies``: that let a copy leave)."""
    return Q(pk__in=_links(user, column).values("record_id"))


def plays_directly(user) -> Q | bool:
    """000/1/4, 001/4/3: where the pack lets case officers view directly, the records of the cases they handle and
    those they made (not 004/16, where every look needs approval)."""
    if not rules.plays_directly(registry().in_force(user.agency.pack_code)):
        return False
    return Q(officer=user) | Q(case__in=scopes.scoped("cases.case", user, "handle"))


def grant_basis(column: str):
    def basis(user, record) -> dict | None:
        grant = grant_covering(user, record.pk, column)
        return {"grant": grant.pk} if grant else None

    return basis


def grant_covering(user, record_id: int, column: str = "plays") -> AccessRequest | None:
    """The user's newest active grant that covers the record for viewing (``plays``) or copying (``copies``)."""
    links = _links(user, column).filter(record_id=record_id)
    return AccessRequest.objects.filter(pk__in=links.values("accessrequest_id")).order_by("-submitted_at").first()


def declare_scopes() -> None:
    scopes.allow(RECORD, "view", granted)
    scopes.allow(RECORD, "play", plays_directly)
    scopes.allow(RECORD, "play", lambda user: granted(user, "plays"), basis=grant_basis("plays"))
    for action in ("copy", "burn"):
        scopes.allow(RECORD, action, lambda user: granted(user, "copies"), basis=grant_basis("copies"))

    scopes.model(REQUEST)
    scopes.require(REQUEST, "view", is_staff)
    scopes.allow(REQUEST, "view", lambda user: can(user, "access.oversee"))
    scopes.allow(REQUEST, "view", lambda user: Q(requester_user=user) | Q(handled_by=user))
    # Packages are made under an active grant that lets a copy of something leave now, by the one who holds it.
    scopes.action(REQUEST, "package", extends="view")
    scopes.allow(REQUEST, "package", lambda user: Q(pk__in=_links(user, "copies").values("accessrequest_id")))

    scopes.model("access.approvaldecision", agency="request__agency")
    scopes.allow("access.approvaldecision", "view", lambda user: Q(request__in=scopes.scoped(REQUEST, user)))
    scopes.model("access.packageexport", agency="request__agency")
    scopes.allow("access.packageexport", "view", lambda user: Q(request__in=scopes.scoped(REQUEST, user)))
    scopes.action("access.packageexport", "download", extends="view")
    scopes.allow("access.packageexport", "download",
                 lambda user: Q(requested_by=user, request__in=scopes.scoped(REQUEST, user, "package")))


def register() -> None:
    declare_capabilities()
    declare_scopes()
