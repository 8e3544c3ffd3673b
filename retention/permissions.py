"""Who keeps, holds, purges and burns (000/2/15-16, 001/3/8-10, 004/12-13), and the records the retention procedure
lets be burned to disc: those under long-term preservation (000/2/16). A disc of other records is a copy, which only
a copying grant allows (``access/permissions.py``)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from authz import scopes
from authz.capabilities import can, declare
from authz.roles import STAFF, Role
from retention.models import Disc, Hold

RECORD = "evidence.record"
DISC = "retention.disc"


def declare_capabilities() -> None:
    declare("retention.view", _("see retention periods, holds and purges"), STAFF)
    declare("retention.hold", _("place holds"), (Role.ARCHIVIST, Role.HEAD), cite="000/2/16")
    declare("retention.release_hold", _("release holds"), (Role.HEAD,))
    declare("retention.propose_purge", _("propose purges of records without preservation value"), (Role.ARCHIVIST,),
            cite="000/2/15")
    declare("retention.decide_purge", _("approve or reject purges"), (Role.HEAD,), cite="000/2/15")
    declare("retention.shorten", _("approve a shorter retention period"), (Role.HEAD,), cite="000/2/15")
    declare("disc.view", _("see disc images and their carriers"), STAFF)
    declare("disc.make", _("make disc images, register carriers and record read checks"), (Role.ARCHIVIST,),
            cite="000/2/16")
    declare("disc.download", _("download disc images for burning"), (Role.ARCHIVIST,), cite="000/2/16")


def preserved(_user) -> Q:
    """Records under an active long-term preservation hold (000/2/16: burned to disc, two copies)."""
    return Q(pk__in=Hold.objects.filter(kind=Hold.Kind.LONG_TERM, released_at__isnull=True).values("record_id"))


def _every_record(user, action: str) -> Q:
    """Discs all of whose records the user may act on with ``action`` (a marked record hides its disc too)."""
    outside = Disc.records.through.objects.filter(disc_id=OuterRef("pk")).exclude(
        record__in=scopes.scoped(RECORD, user, action))
    return ~Q(Exists(outside))


def _of_visible_record(user) -> Q:
    """Rows about a record the user may see, checked row by row against that one record (a correlated EXISTS on its
    primary key): counting a handful of proposals must not first list every visible record of the agency."""
    return Q(Exists(scopes.scoped(RECORD, user).filter(pk=OuterRef("record_id"))))


def declare_scopes() -> None:
    scopes.allow(RECORD, "burn", preserved)
    for label in ("retention.schedule", "retention.hold", "retention.purgeproposal", "retention.tombstone"):
        scopes.model(label)
        scopes.allow(label, "view", _of_visible_record)
    scopes.model(DISC)
    scopes.allow(DISC, "view", lambda user: _every_record(user, "view") if can(user, "disc.view") else False)
    # Downloading the image copies every record on it out of the system: each must be preserved or under a copying
    # grant now, not merely visible.
    scopes.action(DISC, "download", extends="view")
    scopes.require(DISC, "download", lambda user: Q(state=Disc.State.READY))
    scopes.allow(DISC, "download", lambda user: _every_record(user, "burn"))
    scopes.model("retention.carrier", agency="disc__agency")
    scopes.allow("retention.carrier", "view", lambda user: Q(disc__in=scopes.scoped(DISC, user)))
    scopes.model("retention.readcheck", agency="carrier__disc__agency")
    scopes.allow("retention.readcheck", "view", lambda user: Q(carrier__disc__in=scopes.scoped(DISC, user)))


def register() -> None:
    declare_capabilities()
    declare_scopes()
