"""Disc packages as action functions (000/2/16, 001/3/9): request, make (in the background), register the two carriers,
record read checks. Each writes its event."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from authz.capabilities import can
from authz.scopes import allowed
from evidence.fixity import file_matches
from evidence.queries import visible_records
from ledger.events import SYSTEM, RequestContext, record_denial, record_event
from ledger.queries import recorded
from org.models import User
from policy.registry import registry
from retention.discs import image_dir, make_image
from retention.models import Carrier, Disc, ReadCheck
from retention.services import RetentionRefused
from retention.tasks import make_disc


def copies_required(agency) -> int:
    copies = registry().in_force(agency.pack_code).long_term.copies
    return copies.count if copies else 2


def request_disc(records: list, *, title: str, actor: User, case=None,
                 context: RequestContext = SYSTEM) -> Disc:
    if not can(actor, "disc.make"):
        record_denial("retention.disc_request", actor=actor, context=context)
        raise RetentionRefused(_("Discs are made by the archivist."))
    if not records or not title.strip():
        raise RetentionRefused(_("Choose the records and give the activity or case name and number."))
    if any(r.purged_at for r in records):
        raise RetentionRefused(_("A purged record cannot be burned."))
    burnable = set(visible_records(actor, "burn").filter(pk__in=[r.pk for r in records]).values_list("pk", flat=True))
    outside = [r for r in records if r.pk not in burnable]
    if outside:
        # A disc is a copy leaving the system (000/2/16): only of records under long-term preservation, or under a
        # grant that lets a copy leave.
        message = _("%(record)s is neither under long-term preservation nor under a copying grant: it cannot be "
                    "burned to disc.") % {"record": outside[0]}
        record_denial("retention.disc_request", actor=actor, obj=outside[0], context=context,
                      detail={"reason": message, "records": [r.pk for r in outside]})
        raise RetentionRefused(message)
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


def open_image(disc: Disc, *, actor: User, context: RequestContext = SYSTEM):
    """The image for burning, opened for its download, which goes on record; refused, on record, when the file no
    longer has the hash the ledger recorded when it was made (fixity of what is handed out), and refused, on record,
    unless every record on it is preserved long term or under a copying grant of the actor's (000/2/16)."""
    if not can(actor, "disc.download") or not allowed(disc, actor, "download"):
        record_denial("retention.disc_download", actor=actor, obj=disc, context=context,
                      detail={"reason": "not preserved nor under a copying grant"})
        raise RetentionRefused(_("A disc image leaves the system only while every record on it is preserved long "
                                 "term or under a copying grant (000/2/16)."))
    path = image_dir() / disc.image_name
    made = recorded("retention.disc", disc.pk, "retention.disc_made", "sha256")
    if not made or made != disc.sha256 or not file_matches(path, made):
        with transaction.atomic():
            record_event("fixity.changed", obj=disc, context=context,
                         detail={"image": disc.image_name, "sha256_expected": made or "", "sha256_on_row": disc.sha256})
        record_denial("retention.disc_download", actor=actor, obj=disc, context=context,
                      detail={"reason": "image changed"})
        raise RetentionRefused(_("The disc image no longer has the hash recorded when it was made (changed or "
                                 "damaged on the server); it was not handed out. Make the disc image again."))
    handle = path.open("rb")
    with transaction.atomic():
        record_event("retention.disc_download", actor=actor, obj=disc, context=context, detail={"sha256": made})
    return handle


def register_carriers(disc: Disc, carriers: list[tuple[str, str]], *, actor: User,
                      context: RequestContext = SYSTEM) -> list[Carrier]:
    """Register the burned copies, each with its serial and its own storage place."""
    needed = copies_required(disc.agency)
    problem = None
    if not can(actor, "disc.make") or actor.agency_id != disc.agency_id:
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
    due = timezone.localdate() + dt.timedelta(days=settings.DISC_READ_CHECK_DAYS)
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
    if not can(actor, "disc.make") or actor.agency_id != carrier.disc.agency_id:
        record_denial("retention.read_check", actor=actor, context=context)
        raise RetentionRefused(_("Discs are checked by the archivist."))
    if not readable and not note.strip():
        raise RetentionRefused(_("Describe what failed, so the copy can be remade."))
    with transaction.atomic():
        check = ReadCheck.objects.create(carrier=carrier, checked_at=timezone.now(), readable=readable,
                                         note=note, checked_by=actor)
        carrier.next_check_on = timezone.localdate() + dt.timedelta(days=settings.DISC_READ_CHECK_DAYS)
        carrier.save(update_fields=["next_check_on"])
        record_event("retention.read_check", actor=actor, obj=carrier.disc, context=context,
                     detail={"carrier": carrier.serial, "readable": readable, "note": note})
    return check


def checks_due(agency_id: int, today: dt.date | None = None):
    today = today or timezone.localdate()
    return Carrier.objects.filter(disc__agency_id=agency_id, next_check_on__lte=today).select_related("disc")
