"""One way for supervision's actions to refuse: the refusal is a denied event with its reason, then an exception
the page shows as it is."""

from __future__ import annotations

from typing import NoReturn

from ledger.events import SYSTEM, RequestContext, record_denial
from ledger.wording import Words


class Refused(Exception):
    """Refused, with the reason (``str()`` translates it)."""


def refuse(verb: str, problem: Words, *, actor, obj=None, context: RequestContext = SYSTEM) -> NoReturn:
    record_denial(verb, actor=actor, obj=obj, context=context, detail={"reason": problem})
    raise Refused(problem)
