"""Who may do what with cases, activities and decisions (000/1/4, 000/1/10, 001/5), declared once."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from authz import scopes
from authz.capabilities import can, declare
from authz.roles import STAFF, Role, is_staff, office_role
from cases.models import ActivityOfficer, Case, LegalReview, ReviewMaterial
from policy import current

EDITORS = (Role.OFFICER, Role.ARCHIVIST, Role.HEAD)


def _assigners(agency):
    rule = current.in_force(agency).case_handling
    return None if rule is None else [office_role(rule.handlers_assigned_by)]


def declare_capabilities() -> None:
    declare("case.view", _("see the agency's cases and activities"), STAFF)
    declare("case.create", _("open cases"), EDITORS)
    declare("case.edit", _("correct the facts of cases"), EDITORS)
    declare("case.oversee", _("work on every case of the agency, not only those one handles"),
            (Role.ARCHIVIST, Role.HEAD))
    declare("case.assign_handlers", _("assign a case's handlers"), (Role.HEAD,), by_pack=_assigners)
    declare("case.raise_mark", _("mark a case one handles confidential"), EDITORS, cite="000/1/10")
    declare("case.lower_mark", _("lower a confidentiality mark"), (Role.SECURITY_ADMIN,), cite="000/1/10")
    declare("activity.edit", _("record and correct enforcement activities"), EDITORS)
    declare("decision.draft", _("draft decisions and submit them for legal review"), (Role.OFFICER, Role.HEAD))
    declare("decision.review", _("review major decisions"), (Role.LEGAL_REVIEWER,), cite="001/5")
    declare("decision.finalise", _("finalise decisions"), (Role.HEAD,))


def handled(user) -> Q:
    """Cases the user handles (承办), as a subquery."""
    return Q(pk__in=Case.handlers.through.objects.filter(user_id=user.pk).values("case_id"))


def cleared(user) -> Q | bool:
    """Cases whose marks the user is cleared for (000/1/10); their handlers work with them whatever the marks."""
    hidden = [field for field, mark in Case.MARK_FIELDS.items() if mark not in (user.clearances or ())]
    if not hidden:
        return True  # cleared for every mark
    return Q(**dict.fromkeys(hidden, False)) | handled(user)


def reviewing(user) -> Q | bool:
    """The cases whose decisions were submitted for legal review, for whoever holds the review duty: clearance
    follows the duty (000/1/10, 001/5), so a mark never hides a decision from the one who must review it."""
    if not can(user, "decision.review"):
        return False
    return Q(pk__in=LegalReview.objects.values("decision__case_id"))


def _open_reviews():
    return ReviewMaterial.objects.filter(review__reviewed_at__isnull=True)


def submitted_materials(user) -> Q | bool:
    """Records submitted as materials of a legal review still open, for whoever holds the review duty: opened for
    the review (001/5) whatever their marks, as clearance follows the duty (000/1/10); each look is an event the
    register names by the review."""
    if not can(user, "decision.review"):
        return False
    return Q(pk__in=_open_reviews().values("record_id"))


def material_basis(user, record) -> dict | None:
    if not can(user, "decision.review"):
        return None
    found = _open_reviews().filter(record=record).order_by("review_id").values_list("review_id", flat=True).first()
    return {"legal_review": found} if found else None


def marked(_user) -> Q:
    condition = Q(pk__in=[])
    for field in Case.MARK_FIELDS:
        condition |= Q(**{field: True})
    return condition


def took_part(user) -> Q:
    return Q(pk__in=ActivityOfficer.objects.filter(user_id=user.pk).values("activity_id"))


def oversees(user) -> bool:
    return can(user, "case.oversee")


def declare_scopes() -> None:
    scopes.model("cases.case")
    scopes.require("cases.case", "view", is_staff)
    scopes.allow("cases.case", "view", cleared)
    scopes.allow("cases.case", "view", reviewing)
    scopes.action("cases.case", "handle", extends="view")
    scopes.allow("cases.case", "handle", handled)
    # Officers edit, draft on and file into the cases they handle; the archivist and the head into every case.
    for name in ("edit", "draft"):
        scopes.action("cases.case", name, extends="view")
        scopes.allow("cases.case", name, handled)
        scopes.allow("cases.case", name, oversees)
    scopes.action("cases.case", "raise_mark", extends="view")
    scopes.allow("cases.case", "raise_mark", handled)
    # The security administrator sees no case, only the marked ones, to lower a mark (000/1/10).
    scopes.require("cases.case", "lower_mark", lambda user: can(user, "case.lower_mark"))
    scopes.allow("cases.case", "lower_mark", marked)

    scopes.model("cases.activity")
    scopes.require("cases.activity", "view", is_staff)
    scopes.allow("cases.activity", "view", scopes.everything)
    scopes.action("cases.activity", "edit", extends="view")
    scopes.allow("cases.activity", "edit", took_part)
    scopes.allow("cases.activity", "edit", lambda user: Q(case__in=scopes.scoped("cases.case", user, "handle")))
    scopes.allow("cases.activity", "edit", lambda user: Q(created_by=user))
    scopes.allow("cases.activity", "edit", oversees)
    # Only those who took part explain what happened (interruption notes, 000/2/12).
    scopes.action("cases.activity", "explain", extends="view")
    scopes.allow("cases.activity", "explain", took_part)

    scopes.model("cases.activityofficer", agency="activity__agency")
    scopes.allow("cases.activityofficer", "view", lambda user: Q(activity__in=scopes.scoped("cases.activity", user)))

    scopes.model("cases.decision", agency="case__agency")
    scopes.allow("cases.decision", "view", lambda user: Q(case__in=scopes.scoped("cases.case", user)))
    scopes.allow("evidence.record", "view", submitted_materials)
    scopes.allow("evidence.record", "play", submitted_materials, basis=material_basis)
    scopes.model("cases.reviewmaterial", agency="review__decision__case__agency")
    scopes.allow("cases.reviewmaterial", "view",
                 lambda user: Q(review__decision__case__in=scopes.scoped("cases.case", user)))
    scopes.model("cases.legalreview", agency="decision__case__agency")
    scopes.allow("cases.legalreview", "view",
                 lambda user: Q(decision__case__in=scopes.scoped("cases.case", user)))


def register() -> None:
    declare_capabilities()
    declare_scopes()
