"""Which agency's records a user may see. Until the access issue's choke point lands, this is the only scope rule:
staff with a business role see their own agency; administrators and users without an agency see no records."""

from __future__ import annotations

from org.models import Agency, User
from org.roles import RECORD_ROLES


def record_agency(user: User) -> Agency | None:
    if not user.is_authenticated or user.agency_id is None:
        return None
    if not user.role_set & RECORD_ROLES:
        return None
    return user.agency
