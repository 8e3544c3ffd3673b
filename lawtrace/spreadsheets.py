"""Every .xlsx the system writes is opened here, so that no text a person typed (a purpose, a name, a place, a reason)
becomes a formula or a link when the file is opened (formula injection, e.g. ``=HYPERLINK(…)`` in a device's purpose).

Text is always written as text, and text that a spreadsheet would read as a formula (starting with = + - @, a tab
or a carriage return) is also marked quote-prefixed, so it stays text even when someone edits the cell.
"""

from __future__ import annotations

from typing import Any, BinaryIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def workbook(target: BinaryIO, *, constant_memory: bool = False):
    """A new XlsxWriter workbook writing to ``target``, with every worksheet neutralising formula-like text.

    ``constant_memory`` keeps one row in memory at a time (rows go to a temporary file as written, in order), for
    exports of any length; the cells of a row must then be written before the next row's."""
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"in_memory": not constant_memory, "constant_memory": constant_memory,
                                        "strings_to_formulas": False, "strings_to_urls": False,
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
