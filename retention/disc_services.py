"""Disc packages as action functions (000/2/16, 001/3/9): request, make (in the background), register the two carriers,
record read checks. Each writes its event."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from org.models import User
from org.roles import Role
from retention.models import Carrier, Disc, ReadCheck
from retention.services import RetentionRefused

BURNERS = frozenset({Role.ARCHIVIST})


def copies_required(agency) -> int:
    from policy import current, rules

    copies = rules.disc_copies(current.in_force(agency))
    return copies.count if copies else 2


def request_disc(records: list, *, title: str, actor: User, case=None,
                 context: RequestContext = SYSTEM) -> Disc:
    if not actor.role_set & BURNERS:
        record_denial("retention.disc_request", actor=actor, context=context)
        raise RetentionRefused(_("Discs are made by the archivist."))
    if not records or not title.strip():
        raise RetentionRefused(_("Choose the records and give the activity or case name and number."))
    if any(r.purged_at for r in records):
        raise RetentionRefused(_("A purged record cannot be burned."))
    from retention.tasks import make_disc

    with transaction.atomic():
        disc = Disc.objects.create(agency=actor.agency, title=title.strip(), case=case, maker=actor,
                                   requested_at=timezone.now())
        disc.records.set(records)
        record_event("retention.disc_request", actor=actor, obj=disc, context=context,
                     after={"records": sorted(r.pk for r in records), "title": disc.title})
        transaction.on_commit(lambda: make_disc.enqueue(disc.pk))
    return disc


def make(disc_id: int) -> Disc:
    """The job: build the image; a failure is recorded on the disc, never lost."""
    from retention.discs import make_image

    disc = Disc.objects.select_related("agency", "maker", "case").get(pk=disc_id)
    if disc.state == Disc.State.READY:
        return disc
    Disc.objects.filter(pk=disc.pk).update(state=Disc.State.MAKING)
    try:
        make_image(disc)
    except Exception as error:  # the archivist sees why and can ask again
        Disc.objects.filter(pk=disc.pk).update(state=Disc.State.FAILED, error=str(error)[:2000])
        with transaction.atomic():
            record_event("retention.disc_failed", obj=disc, detail={"error": str(error)[:500]})
        raise
    with transaction.atomic():
        disc.state = Disc.State.READY
        disc.save(update_fields=["state", "image_name", "size", "sha256", "sm3", "made_at"])
        record_event("retention.disc_made", obj=disc, after={"image": disc.image_name, "size": disc.size,
                                                            "sha256": disc.sha256, "sm3": disc.sm3})
    return disc


def register_carriers(disc: Disc, carriers: list[tuple[str, str]], *, actor: User,
                      context: RequestContext = SYSTEM) -> list[Carrier]:
    """Register the burned copies, each with its serial and its own storage place."""
    needed = copies_required(disc.agency)
    problem = None
    if not actor.role_set & BURNERS or actor.agency_id != disc.agency_id:
        problem = _("Discs are made by the archivist.")
    elif disc.state != Disc.State.READY:
        problem = _("The disc image is not ready yet.")
    elif len(carriers) != needed or any(not s.strip() or not p.strip() for s, p in carriers):
        problem = _("Register %(n)d copies, each with a serial and a storage place.") % {"n": needed}
    elif len({p.strip() for _s, p in carriers}) < len(carriers):
        problem = _("Keep the copies in different places.")
    elif len({s.strip() for s, _p in carriers}) < len(carriers):
        problem = _("Each copy needs its own serial.")
    elif disc.carriers.exists():
        problem = _("The copies of this disc are already registered.")
    if problem is not None:
        record_denial("retention.carriers", actor=actor, obj=disc, context=context, detail={"reason": problem})
        raise RetentionRefused(problem)
    now = timezone.now()
    due = timezone.localdate() + dt.timedelta(days=_read_check_days(disc.agency))
    with transaction.atomic():
        made = [Carrier.objects.create(disc=disc, copy_number=number, serial=serial.strip(),
                                       storage_place=place.strip(), registered_by=actor, registered_at=now,
                                       next_check_on=due)
                for number, (serial, place) in enumerate(carriers, start=1)]
        record_event("retention.carriers", actor=actor, obj=disc, context=context,
                     after={"carriers": [[c.copy_number, c.serial, c.storage_place] for c in made]})
    return made


def record_read_check(carrier: Carrier, *, readable: bool, note: str, actor: User,
                      context: RequestContext = SYSTEM) -> ReadCheck:
    if not actor.role_set & BURNERS or actor.agency_id != carrier.disc.agency_id:
        record_denial("retention.read_check", actor=actor, context=context)
        raise RetentionRefused(_("Discs are checked by the archivist."))
    if not readable and not note.strip():
        raise RetentionRefused(_("Describe what failed, so the copy can be remade."))
    with transaction.atomic():
        check = ReadCheck.objects.create(carrier=carrier, checked_at=timezone.now(), readable=readable,
                                         note=note, checked_by=actor)
        carrier.next_check_on = timezone.localdate() + dt.timedelta(days=_read_check_days(carrier.disc.agency))
        carrier.save(update_fields=["next_check_on"])
        record_event("retention.read_check", actor=actor, obj=carrier.disc, context=context,
                     detail={"carrier": carrier.serial, "readable": readable, "note": note})
    return check


def checks_due(agency_id: int, today: dt.date | None = None):
    today = today or timezone.localdate()
    return Carrier.objects.filter(disc__agency_id=agency_id, next_check_on__lte=today).select_related("disc")


def _read_check_days(agency) -> int:
    """How often a disc copy is test-read: the agency's number, else the deployment's (001/3/9 names none)."""
    from policy import current, rules

    return rules.number(current.in_force(agency), "disc_read_check_days")
