"""执法证件 after they are recorded: corrections, and which expire soon or have expired (004/7-8).

An officer whose enforcement certificate has expired is no recording subject from that day: the activity form
refuses them (``cases.services``) and compliance reports a clip they recorded where the pack's subject rule applies.
Thirty days before, the dashboard reminds the officer, the agency's heads and its system administrator.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ledger.events import SYSTEM, RequestContext, changed, record_event, snapshot
from org.accounts import authorise
from org.models import Qualification, User

REMIND_DAYS = 30
FIELDS = ["kind", "certificate_number", "issuer", "valid_from", "valid_until"]


def update_qualification(qualification: Qualification, data: dict, *, actor: User | None,
                         context: RequestContext = SYSTEM) -> Qualification:
    """Correct a certificate's number, issuing body or validity; the event keeps what it was."""
    authorise(actor, "staff.manage", qualification.user, "qualification.update", context)
    with transaction.atomic():
        locked = Qualification.objects.select_for_update().get(pk=qualification.pk)
        before = snapshot(locked, FIELDS)
        for name in FIELDS:
            if name in data:
                setattr(locked, name, data[name])
        locked.full_clean()
        old, new = changed(before, snapshot(locked, FIELDS))
        if new:
            locked.save()
            record_event("qualification.update", actor=actor, obj=locked.user, context=context,
                         before=old, after={**new, "certificate_number": locked.certificate_number})
    return locked


def check_new(user: User, *, certificate_number: str, valid_from: dt.date, valid_until: dt.date,
              exclude: int | None = None) -> None:
    """What recording a certificate needs beyond the model's own checks: a number nobody else holds, a validity
    that has not already ended."""
    others = Qualification.objects.filter(certificate_number=certificate_number)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise ValidationError({"certificate_number": gettext_lazy("This certificate number is already recorded.")})
    if valid_until < timezone.localdate():
        raise ValidationError({"valid_until": gettext_lazy(
            "The certificate has already expired: an officer with an expired certificate is no recording subject "
            "(004/7-8). Record the renewed certificate instead.")})
    if valid_until < valid_from:
        raise ValidationError({"valid_until": gettext_lazy("The validity ends before it starts.")})


def expiring(users: QuerySet[User], *, today: dt.date | None = None,
             within: int = REMIND_DAYS) -> QuerySet[Qualification]:
    """Enforcement certificates of active accounts that end within ``within`` days, with no later one to follow."""
    today = today or timezone.localdate()
    soon = Qualification.objects.filter(user__in=users.filter(is_active=True), kind=Qualification.Kind.ENFORCEMENT,
                                        valid_until__gte=today, valid_until__lte=today + dt.timedelta(days=within))
    renewed = Qualification.objects.filter(kind=Qualification.Kind.ENFORCEMENT,
                                           valid_until__gt=today + dt.timedelta(days=within))
    return (soon.exclude(user__in=renewed.values("user")).select_related("user", "user__unit")
            .order_by("valid_until", "user__full_name"))


def lapsed(users: QuerySet[User], *, today: dt.date | None = None) -> QuerySet[User]:
    """Active accounts whose enforcement certificates have all ended: no longer recording subjects."""
    today = today or timezone.localdate()
    had = Qualification.objects.filter(kind=Qualification.Kind.ENFORCEMENT).values("user")
    valid = Qualification.objects.filter(kind=Qualification.Kind.ENFORCEMENT, valid_until__gte=today).values("user")
    return users.filter(is_active=True, pk__in=had).exclude(pk__in=valid).select_related("unit").order_by("full_name")


def record_certificate(user: User, data: dict, *, actor: User | None, context: RequestContext = SYSTEM
                       ) -> Qualification:
    """A certificate recorded on the page: checked like an imported one, then ``org.services.add_qualification``."""
    from org.services import add_qualification

    authorise(actor, "staff.manage", user, "qualification.create", context)
    check_new(user, certificate_number=data["certificate_number"], valid_from=data["valid_from"],
              valid_until=data["valid_until"])
    return add_qualification(user, kind=data["kind"], certificate_number=data["certificate_number"],
                             issuer=data["issuer"], valid_from=data["valid_from"], valid_until=data["valid_until"],
                             actor=actor, context=context)
