"""What the organisation's commands share: who the operator is, files only the operator can read, the import
report as text."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def operator_label() -> str:
    """How an event names a change made at the server's command line: the operating-system account that ran it."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = str(os.getuid())
    return f"manage.py ({who})"[:150]


def write_private(path: str, text: str) -> Path:
    """Write ``text`` to a new file readable by its owner alone (mode 600). An existing file is never overwritten:
    one-time passwords must not land in a file others could already read."""
    target = Path(path)
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise CommandError(_("%(path)s already exists; name a new file.") % {"path": target}) from exc
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return target


def report_lines(import_plan) -> list[str]:
    """The row-by-row report of a staff or device import, as lines of text."""
    lines = []
    for row in import_plan.rows:
        words = [str(w) for w in (*row.reasons, *row.changes, *row.notes)]
        who = " ".join(part for part in (getattr(row, "label", ""), row.username) if part)
        lines.append(f"{_('line')} {row.line:>4}  {row.outcome_label:<4}  {who}" + (f"  {'；'.join(words)}" if words
                                                                                     else ""))
    summary = "，".join(f"{label} {count}" for label, count in import_plan.summary_labels())
    return [*lines, summary]
