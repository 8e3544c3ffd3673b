"""Who may follow and fetch a printed document: the one who asked, while they still hold the right to read what it
prints (the capability of its page, printing.documents) — so a download is checked like the page it came from."""

from __future__ import annotations

from django.db.models import Q

from authz import scopes
from authz.capabilities import can


def _mine(user) -> Q:
    from printing import documents

    kinds = [kind for kind, source in documents.registered().items() if can(user, source.capability)]
    return Q(requested_by=user, kind__in=kinds)


def register() -> None:
    scopes.model("printing.printjob")
    scopes.allow("printing.printjob", "view", _mine)
    scopes.action("printing.printjob", "download", extends="view")
    scopes.allow("printing.printjob", "download", _mine)
