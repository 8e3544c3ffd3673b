"""Reading a table people keep in a spreadsheet (.xlsx) or export as .csv, for the imports of staff and devices.

Headers are matched by their Chinese names after tidying (spaces, full-width brackets); a column may have other
names people use for it. A .csv comes as UTF-8 (with or without the byte-order mark Excel writes) or as GB 18030,
which Excel on a Chinese Windows writes. Values come back as stripped text, dates as ``datetime.date``; a missing
column the caller needs stops the whole file with the columns it did find, before any row is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000
_TIDY = str.maketrans({"（": "(", "）": ")", "／": "/", " ": "", "\u3000": "", "\t": "", "*": ""})


class TableError(ValueError):
    """The file as a whole cannot be read; the message says why, in the reader's language."""


@dataclass
class Table:
    rows: list[tuple[int, dict[str, object]]]  # (line in the file, the header is line 1; column key → value)
    missing_optional: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


CREATE, CHANGE, UNCHANGED, REFUSE = "create", "change", "unchanged", "refuse"


@dataclass
class ImportPlan:
    """What importing a table would do (or did), row by row: each row's ``outcome`` is one of the four above. An
    import names its outcomes in ``outcome_labels`` (a device is "registered" where an account is "created")."""

    agency: Any
    file_name: str
    sha256: str
    rows: list
    missing_optional: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    outcome_labels: ClassVar[dict[str, Any]] = {
        CREATE: gettext_lazy("created"), CHANGE: gettext_lazy("changed"), UNCHANGED: gettext_lazy("unchanged"),
        REFUSE: gettext_lazy("refused")}

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def summary(self) -> dict[str, int]:
        return {outcome: self.count(outcome) for outcome in (CREATE, CHANGE, UNCHANGED, REFUSE)}

    def summary_labels(self) -> list[tuple[str, int]]:
        return [(str(self.outcome_labels[outcome]), count) for outcome, count in self.summary.items()]


def tidy(header: object) -> str:
    return str(header or "").translate(_TIDY).strip()


def read_table(name: str, data: bytes, columns: dict[str, str], *, required: list[str],
               aliases: dict[str, str] | None = None) -> Table:
    """Rows of a .xlsx or .csv file keyed by ``columns`` (Chinese header → key); ``aliases`` maps other headers
    people write to the header they mean."""
    if len(data) > MAX_BYTES:
        raise TableError(_("The file is larger than %(mb)d MB; split it into smaller files.")
                         % {"mb": MAX_BYTES // (1024 * 1024)})
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        grid = _xlsx(data)
    elif lowered.endswith(".csv"):
        grid = _csv(data)
    else:
        raise TableError(_("Upload a .xlsx or .csv file."))
    grid = [row for row in grid if any(_present(v) for v in row)] if grid else grid
    if not grid:
        raise TableError(_("The file is empty."))
    known = {tidy(h): h for h in columns} | {tidy(a): h for a, h in (aliases or {}).items()}
    header = [known.get(tidy(h), "") for h in grid[0]]
    found = [h for h in header if h]
    missing = [h for h in required if h not in found]
    if missing:
        raise TableError(_("Missing columns: %(missing)s. The first row has: %(found)s.") % {
            "missing": "、".join(missing), "found": "、".join(tidy(h) for h in grid[0] if tidy(h)) or _("nothing")})
    twice = sorted({h for h in found if found.count(h) > 1})
    if twice:
        raise TableError(_("Columns appear twice: %(columns)s.") % {"columns": "、".join(twice)})
    if len(grid) - 1 > MAX_ROWS:
        raise TableError(_("The file has more than %(n)d rows; split it into smaller files.") % {"n": MAX_ROWS})
    rows = []
    for line, values in enumerate(grid[1:], start=2):
        if not any(_present(v) for v in values):
            continue
        row = {columns[h]: _clean(values[i] if i < len(values) else None) for i, h in enumerate(header) if h}
        rows.append((line, row))
    return Table(rows, missing_optional=[h for h in columns if h not in found and h not in required],
                 ignored=[tidy(h) for h, k in zip(grid[0], header, strict=True) if not k and tidy(h)])


def _xlsx(data: bytes) -> list[list[object]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(_("The file is not a readable .xlsx workbook.")) from exc


def _csv(data: bytes) -> list[list[object]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(_("The .csv file is neither UTF-8 nor GB 18030 text."))
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _present(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def _clean(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def as_date(value: object) -> dt.date | None:
    """A date written as 2026-03-01, 2026/3/1, 2026.3.1 or 2026年3月1日 (or a spreadsheet date); None if it is not."""
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
