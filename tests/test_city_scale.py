"""City scale (issue 27): printed registers never cut silently, dashboards and lists whose query count does not grow
with the rows, the evidence list's filters, retention rebuilt in bulk."""

from __future__ import annotations

import io

import pytest
from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from authz.roles import Role
from ledger.events import append_events
from ledger.models import Event
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


def views(agency, count: int, *, start: int = 0) -> None:
    """``count`` done record.view events of the agency, in one append (what the register reads)."""
    with transaction.atomic():
        append_events([Event(verb="record.view", agency_code=agency.code, result="done", object_type="evidence.record",
                             object_id=str(start + n), object_label=f"执法记录仪视频{start + n:05d}.mp4",
                             actor_label="档案员", detail={}) for n in range(count)])


@pytest.fixture
def archivist_client(client):
    agency = AgencyFactory()
    client.force_login(UserFactory(agency=agency, roles=(Role.ARCHIVIST,)))
    return client, agency


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_000_1_3_a_register_longer_than_a_printed_one_may_hold_is_refused_with_its_count(archivist_client, settings):
    client, agency = archivist_client
    settings.PRINTED_REGISTER_ROWS = 5
    views(agency, 7)
    response = client.get("/access/register/", {"format": "pdf"}, follow=True)
    assert response["Content-Type"].startswith("text/html")
    shown = [str(m) for m in response.context["messages"]]
    assert any("7" in m and "5" in m and "xlsx" in m for m in shown), shown
    assert response.redirect_chain[-1][0] == "/access/register/?"  # the page without the refused format
    settings.PRINTED_REGISTER_ROWS = 7
    printed = client.get("/access/register/", {"format": "pdf"})
    assert printed["Content-Type"] == "application/pdf"
    text = pdf_text(printed.content)
    assert "共 7 条" in text and "全部" in text
    assert "执法记录仪视频00000.mp4" in text and "执法记录仪视频00006.mp4" in text


def test_000_1_3_the_register_export_without_a_period_covers_every_entry_and_says_how_many(archivist_client,
                                                                                           monkeypatch, settings):
    from access import register

    client, agency = archivist_client
    monkeypatch.setattr(register, "EXPORT_BATCH", 3)  # several batches, each seeking past the last
    views(agency, 11)
    response = client.get("/access/register/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "共 11 条" in sheet["A2"].value and "首条" in sheet["A2"].value
    items = [row[4].value for row in sheet.iter_rows(min_row=4)]
    assert items == [f"执法记录仪视频{n:05d}.mp4" for n in range(11)]  # all of them, oldest first
    settings.ACCESS_REGISTER_EXPORT_LIMIT = 10
    refused = client.get("/access/register/", {"format": "xlsx", "since": "2020-01-01"}, follow=True)
    shown = [str(m) for m in refused.context["messages"]]
    assert any("11" in m and "10" in m for m in shown), shown
    assert refused.redirect_chain[-1][0] == "/access/register/?since=2020-01-01"


def test_000_1_3_a_register_with_a_period_and_a_search_states_both(archivist_client):
    client, agency = archivist_client
    views(agency, 3)
    today = timezone.localdate().isoformat()
    response = client.get("/access/register/", {"format": "xlsx", "since": today, "until": today, "q": "00001"})
    statement = load_workbook(io.BytesIO(response.content)).active["A2"].value
    assert f"{today} ~ {today}" in statement and "共 1 条" in statement and "00001" in statement
