"""Who supervises (000/2/17-18, 001/3/16-18, 002 附件3, 004/22-24): draws, review rounds, misconduct cases and
reports, and the sampled records a reviewer may play while the round is open."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from authz import scopes
from authz.capabilities import can, declare
from authz.roles import STAFF, Role, is_staff
from supervision.models import ReviewRound

OVERSEERS = (Role.SUPERVISOR, Role.HEAD)
ROUND = "supervision.reviewround"


def declare_capabilities() -> None:
    declare("draw.view", _("see the random draws and the inspection targets"), STAFF)
    declare("draw.make", _("keep the target registry and make random draws"), OVERSEERS, cite="002 附件3")
    declare("review.view", _("see sampling checks and annual reviews"), STAFF)
    declare("review.open", _("open, draw, close and cancel review rounds"), OVERSEERS, cite="000/2/17")
    declare("review.take_part", _("review sampled recordings"), (Role.SUPERVISOR, Role.LEGAL_REVIEWER, Role.HEAD))
    declare("review.oversee", _("see every review round of the agency"), OVERSEERS)
    declare("misconduct.view", _("see misconduct cases"), STAFF)
    declare("misconduct.open", _("open misconduct cases"), OVERSEERS, cite="000/2/18")
    declare("misconduct.decide", _("decide misconduct cases"), (Role.HEAD,), cite="000/1/12")
    declare("misconduct.oversee", _("see every misconduct case of the agency"), OVERSEERS)
    declare("report.read", _("read supervision reports"), (Role.SUPERVISOR, Role.HEAD, Role.LEGAL_REVIEWER),
            cite="004/23")


def _reviews(user) -> Q:
    return Q(pk__in=ReviewRound.reviewers.through.objects.filter(user_id=user.pk).values("reviewround_id"))


def reviewing(user) -> Q:
    """Records sampled in the open rounds the user reviews: played for the review (000/2/17, 001/3/16, 004/22)."""
    rounds = ReviewRound.objects.filter(_reviews(user), state=ReviewRound.State.REVIEWING)
    return Q(pk__in=ReviewRound.sampled.through.objects.filter(reviewround__in=rounds).values("record_id"))


def round_basis(user, record) -> dict | None:
    covering = ReviewRound.objects.filter(_reviews(user), state=ReviewRound.State.REVIEWING, sampled=record)
    found = covering.order_by("pk").values_list("pk", flat=True).first()
    return {"review": found} if found else None


def declare_scopes() -> None:
    scopes.allow("evidence.record", "play", reviewing, basis=round_basis)
    for label in ("supervision.draw", "supervision.inspectiontarget"):
        scopes.model(label)
        scopes.allow(label, "view", is_staff)
    scopes.model("supervision.conflict", agency="target__agency")
    scopes.allow("supervision.conflict", "view", is_staff)

    scopes.model(ROUND)
    scopes.require(ROUND, "view", is_staff)
    scopes.allow(ROUND, "view", lambda user: can(user, "review.oversee"))
    scopes.allow(ROUND, "view", _reviews)
    scopes.action(ROUND, "review", extends="view")
    scopes.allow(ROUND, "review", _reviews)
    scopes.model("supervision.recordreview", agency="round__agency")
    scopes.allow("supervision.recordreview", "view", lambda user: Q(round__in=scopes.scoped(ROUND, user)))

    # The officer concerned sees their own case; the supervisor and the head every case (000/2/18).
    scopes.model("supervision.misconductcase")
    scopes.require("supervision.misconductcase", "view", is_staff)
    scopes.allow("supervision.misconductcase", "view", lambda user: can(user, "misconduct.oversee"))
    scopes.allow("supervision.misconductcase", "view", lambda user: Q(officer=user))


def register() -> None:
    declare_capabilities()
    declare_scopes()
