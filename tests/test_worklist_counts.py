"""Worklist counts on the dashboards from indexes (issue 27): one bounded count each, started from the index of its
condition, as many queries for many records as for few, visibility through the choke point, and "约" where a count
would walk too many rows."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from authz.roles import Role
from evidence.queries import Tally, visible_records, worklist_counts
from tests.factories import AgencyFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the estimates are cached per person; ids repeat between tests
    yield
    cache.clear()


def late(agency, count: int) -> list:
    return [RecordFactory(agency=agency, late=True, link_state="unmatched") for _ in range(count)]


def counted(user) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as captured:
        counts = worklist_counts(user)
    return counts, len(captured)


def test_000_2_15_worklist_counts_ask_as_many_queries_for_many_records_as_for_few(settings):
    agency = AgencyFactory()
    archivist = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))
    late(agency, 2)
    worklist_counts(archivist)  # the pack in force is read once per process
    few_counts, few = counted(archivist)
    late(agency, 18)
    many_counts, many = counted(archivist)
    assert few == many
    assert (few_counts["late"].value, many_counts["late"].value) == (2, 20)
    assert str(many_counts["unlinked"]) == "20" and not many_counts["late"].approximate


def test_000_2_15_a_worklist_longer_than_an_exact_count_is_shown_as_about_and_counted_once_a_while(settings,
                                                                                                     client):
    settings.WORKLIST_EXACT_COUNT = 5
    agency = AgencyFactory()
    archivist = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))
    late(agency, 3)
    counts, first = counted(archivist)
    assert str(counts["late"]) == "3"
    late(agency, 9)
    counts, with_full_counts = counted(archivist)
    with translation.override("zh-hans"):
        assert counts["late"].approximate and str(counts["late"]) == "约 12"
    late(agency, 1)
    counts, cached = counted(archivist)
    assert counts["late"] == Tally(12, approximate=True) and cached < with_full_counts  # not counted again yet
    client.force_login(archivist)
    texts = [row.text for _role, panels in client.get("/").context["sections"] for panel in panels
             for row in panel.rows]
    assert any("约 12" in text for text in texts), texts


def test_000_2_15_worklist_counts_go_through_the_choke_point():
    from policy.vocabulary import ConfidentialityMark

    agency = AgencyFactory()
    other = AgencyFactory(code="ruzhou-water", name="汝州市水利局", pack_code="ruzhou_water")
    late(other, 3)
    marked, _plain = late(agency, 2)
    marked.confidentiality = ConfidentialityMark.values[0]
    marked.save()
    archivist = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))  # not cleared for the mark
    counts, _queries = counted(archivist)
    assert counts["late"].value == 1 == visible_records(archivist).filter(late=True).count()


@pytest.mark.parametrize("name, condition", [("record_late", {"late": True}),
                                             ("record_clock", {"time_conflict_seconds__isnull": False})])
def test_000_2_15_a_worklist_count_starts_from_its_partial_index(name, condition):
    """The plan of the bounded count names the worklist's index. PostgreSQL prefers reading a table this small
    whole, so it is asked what it would do without that (``enable_seqscan = off``): the index must match the
    condition as the count writes it."""
    agency = AgencyFactory()
    archivist = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))
    late(agency, 3)
    query = visible_records(archivist).filter(**condition).order_by().values("pk")[:1001]
    sql, params = query.query.sql_with_params()
    explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"{explain} {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert name in plan, plan
