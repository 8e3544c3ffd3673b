"""Who sees the agency's people and units: everyone of the agency sees its colleagues (to name a handler, a holder,
a reviewer); what each may do to accounts is the administrators' business (三员分立, ``org.services``)."""

from __future__ import annotations

from authz import scopes


def register() -> None:
    for label, agency in (("org.user", "agency"), ("org.unit", "agency"), ("org.rolegrant", "user__agency"),
                          ("org.qualification", "user__agency")):
        scopes.model(label, agency=agency)
        scopes.allow(label, "view", scopes.everything)
