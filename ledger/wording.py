"""Sentences kept in their source language and translated where they are shown.

A refusal's reason or a job's failure is stored as its message id (the English source text), with its values apart,
so the record reads the same whatever language was active when it was written, and each page translates it for its
reader. Pass ``gettext_lazy("…")``, or ``Wording(gettext_noop("… %(x)s …"), x=…)`` when the sentence has values; a
value may itself be a lazy translation (a role's name) or a list of them, kept as message ids and translated too.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, override


class Wording:
    """A message id and its values; ``str()`` translates it into the active language."""

    def __init__(self, msgid: str, **values: Any) -> None:
        self.msgid, self.values = msgid, values

    def __str__(self) -> str:
        text = gettext(self.msgid)
        return text % {name: _value(value) for name, value in self.values.items()} if self.values else text

    def __repr__(self) -> str:
        return f"Wording({self.msgid!r}, **{self.values!r})"

    def stored(self) -> str | dict[str, Any]:
        return {"msgid": self.msgid, "values": self.values} if self.values else self.msgid


def _value(value: Any) -> Any:
    """A value as the sentence shows it: a name that is itself a message id (a role, a capability, kept as its id once
    stored) in the active language, a list of them joined."""
    if isinstance(value, Promise | Wording):
        return str(value)
    if isinstance(value, list):
        return "、".join(str(_value(item)) for item in value)
    if isinstance(value, str) and value:
        return gettext(value)  # text that is no message id (a case number, a file name) comes back as it is
    return value


def stored(value: Any) -> Any:
    """The form kept on record: a lazy translation becomes its message id, a ``Wording`` its id and values.
    Usable as ``json.dumps(..., default=stored)``."""
    if isinstance(value, Wording):
        return value.stored()
    if isinstance(value, Promise):
        with override(None):  # no active catalogue: the lazy string gives its message id
            return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def stored_text(value: object) -> str:
    """``stored`` for a text column: a message id, or the id and values as JSON."""
    kept = stored(value) if isinstance(value, Wording | Promise) else str(value)
    return kept if isinstance(kept, str) else json.dumps(kept, ensure_ascii=False, sort_keys=True)


def shown(value: object) -> str:
    """What ``stored`` or ``stored_text`` kept, in the active language. Text that is no message id (a person's
    own words, or a reason written before reasons were kept untranslated) is shown as it is."""
    kept: Any = value
    if isinstance(kept, str) and kept.startswith('{"msgid"'):
        try:
            kept = json.loads(kept)
        except ValueError:
            return kept
    if isinstance(kept, dict) and isinstance(kept.get("msgid"), str):
        return str(Wording(kept["msgid"], **(kept.get("values") or {})))
    return gettext(kept) if isinstance(kept, str) and kept else str(kept or "")


# What a refusal's reason may be: plain text, a lazy translation or a Wording; ``str()`` shows each in the active
# language, and the ledger keeps the last two as their message ids.
Words = str | Promise | Wording
