"""Reading object ids from a request: a value that cannot name a row is the client's error (400), told in Chinese,
never a server error. Views read ids through these; forms validate everything else."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

# Object ids are database integers (BigAutoField); anything longer cannot name a row.
LARGEST_ID = 2**63 - 1


def object_id(value: str | int | None) -> int | None:
    """The id ``value`` names, None when it is empty; BadRequest when it cannot be an id."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= LARGEST_ID:
        raise BadRequest(_("“%(value)s” is not the number of anything in this system.") % {"value": text[:40]})
    return int(text)


def object_ids(values: Iterable[str]) -> list[int]:
    """Every id in ``values`` (a list of form values, or comma-separated text split by the caller)."""
    return [found for value in values if (found := object_id(value)) is not None]
