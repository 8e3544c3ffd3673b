"""Everyone of an agency, administrators included, reads the agency's rules."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from authz.capabilities import declare
from authz.roles import EVERYONE


def register() -> None:
    declare("rules.read", _("read the agency's rules"), EVERYONE)
