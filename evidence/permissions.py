"""Who may see, file, play and copy evidence records (000/1/4, 000/1/10, 001/2/11), declared once.

Evidence says what its own facts decide (the agency, the marks, who made a record, the archivist's custody); the
access procedure (``access/permissions.py``), supervision and retention add the records their grants, sampling
rounds and holds open, by label, without this app knowing them.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from authz import scopes
from authz.capabilities import can, declare
from authz.roles import STAFF, Role, is_staff
from policy.vocabulary import ConfidentialityMark

FILERS = (Role.OFFICER, Role.ARCHIVIST, Role.HEAD)
RECORD = "evidence.record"


def declare_capabilities() -> None:
    declare("record.view", _("see the agency's evidence records"), STAFF)
    declare("record.file", _("file recordings and complete their classification"), FILERS)
    declare("record.oversee", _("classify every record of the agency, not only one's own"),
            (Role.ARCHIVIST, Role.HEAD))
    declare("record.play", _("view record content inside the system"), STAFF)
    # The archivist keeps the records (000/1/3, 001/3/5): custody lets them view any content in the system.
    declare("record.keep", _("keep the archive and view any record's content"), (Role.ARCHIVIST,), cite="000/1/3")
    declare("record.lower_mark", _("lower a confidentiality mark"), (Role.SECURITY_ADMIN,), cite="000/1/10")
    declare("station.configure", _("configure collection stations and file-name patterns"), (Role.SYSTEM_ADMIN,))


def _cleared(user) -> Q:
    """Records whose own mark and whose case's marks the user is cleared for (000/1/10)."""
    own = Q(confidentiality="")
    for mark in ConfidentialityMark.values:
        if mark in (user.clearances or ()):
            own |= Q(confidentiality=mark)
    return own & (Q(case__isnull=True) | Q(case__in=scopes.scoped("cases.case", user)))


def _made_or_handled(user) -> Q:
    """The officer who made a record and the handlers of its case work with it whatever its mark."""
    return Q(officer=user) | Q(case__in=scopes.scoped("cases.case", user, "handle"))


def _content_kept(_user) -> Q:
    return Q(purged_at__isnull=True)  # a purged record is a tombstone: metadata, no content


def declare_scopes() -> None:
    scopes.model(RECORD)
    scopes.require(RECORD, "view", is_staff)
    scopes.allow(RECORD, "view", _cleared)
    scopes.allow(RECORD, "view", _made_or_handled)
    # Content shown inside the application, a copy leaving it, a disc burned of it: each on a visible record whose
    # content is still kept; who may do each is added by the apps whose procedures open it.
    for action in ("play", "copy", "burn"):
        scopes.action(RECORD, action, extends="view")
        scopes.require(RECORD, action, _content_kept)
    scopes.allow(RECORD, "play", lambda user: can(user, "record.keep"))
    # Officers classify the records they made or whose case they handle; the archivist and the head any record.
    scopes.action(RECORD, "classify", extends="view")
    scopes.allow(RECORD, "classify", _made_or_handled)
    scopes.allow(RECORD, "classify", lambda user: can(user, "record.oversee"))
    # The security administrator sees only the marked records, to lower a mark (000/1/10).
    scopes.require(RECORD, "lower_mark", lambda user: can(user, "record.lower_mark"))
    scopes.allow(RECORD, "lower_mark", lambda _user: ~Q(confidentiality=""))

    scopes.model("evidence.derivative", agency="record__agency")
    for action in ("view", "play"):
        scopes.allow("evidence.derivative", action,
                     lambda user, action=action: Q(record__in=scopes.scoped(RECORD, user, action)))
    scopes.model("evidence.station")
    scopes.require("evidence.station", "view", lambda user: can(user, "station.configure"))
    scopes.allow("evidence.station", "view", scopes.everything)
    scopes.model("evidence.uploadsession", agency="user__agency")
    scopes.allow("evidence.uploadsession", "view", lambda user: Q(user=user))
    scopes.model("evidence.dockingreport", agency="device__agency")
    scopes.allow("evidence.dockingreport", "view", is_staff)


def register() -> None:
    declare_capabilities()
    declare_scopes()
