"""Every .xlsx the system writes is opened here, so that no text a person typed (a purpose, a name, a place, a reason)
becomes a formula or a link when the file is opened (formula injection, e.g. ``=HYPERLINK(…)`` in a device's purpose).

Text is always written as text, and text that a spreadsheet would read as a formula (starting with = + - @, a tab
or a carriage return) is also marked quote-prefixed, so it stays text even when someone edits the cell. CSV has no
such mark: there such text gets a leading apostrophe (``csv_writer``).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable
from typing import Any, BinaryIO, TextIO

import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def workbook(target: BinaryIO, *, large: bool = False):
    """A new XlsxWriter workbook writing to ``target``, with every worksheet neutralising formula-like text.

    ``large``: rows go to disk as they are written (XlsxWriter's constant-memory mode, rows in order), so an export
    of a hundred thousand events keeps memory flat."""
    size = {"constant_memory": True, "in_memory": False, "tmpdir": tempfile.gettempdir()} if large \
        else {"in_memory": True}
    book = xlsxwriter.Workbook(target, {**size, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    made_formats: dict[int, dict] = {}
    quoted: dict[int | None, Any] = {}
    add_format, add_worksheet = book.add_format, book.add_worksheet

    def remembering_add_format(properties: dict | None = None):
        made = add_format(properties)
        made_formats[id(made)] = dict(properties or {})
        return made

    def quote_prefixed(cell_format):
        key = id(cell_format) if cell_format is not None else None
        if key not in quoted:
            properties = made_formats.get(key, {}) if key is not None else {}
            quoted[key] = add_format({**properties, "quote_prefix": True})
        return quoted[key]

    def write_text(sheet, row, col, text, cell_format=None, *args):
        if text.startswith(FORMULA_STARTS):
            cell_format = quote_prefixed(cell_format)
        return sheet.write_string(row, col, text, cell_format)

    def neutralising_add_worksheet(name: str | None = None):
        sheet = add_worksheet(name)
        sheet.add_write_handler(str, write_text)
        return sheet

    book.add_format = remembering_add_format
    book.add_worksheet = neutralising_add_worksheet
    return book


class _NeutralisingWriter:
    def __init__(self, text: TextIO) -> None:
        self._writer = csv.writer(text)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([_csv_text(cell) for cell in row])


def _csv_text(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_writer(text: TextIO) -> _NeutralisingWriter:
    """A CSV writer whose cells are text: what a spreadsheet would run as a formula gets a leading apostrophe."""
    return _NeutralisingWriter(text)
