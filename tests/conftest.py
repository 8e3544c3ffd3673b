from __future__ import annotations

import pytest
from django.test import Client

from org.models import User
from tests.factories import AgencyFactory, officer


@pytest.fixture
def agency(db):
    return AgencyFactory()


@pytest.fixture
def other_agency(db):
    return AgencyFactory(code="ruzhou-water", name="汝州市水利局", pack_code="ruzhou_water")


@pytest.fixture
def an_officer(agency) -> User:
    return officer(agency)


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.fixture(autouse=True, scope="session")
def _ledger_emptied_only_between_tests():
    """Transactional tests end with a flush, which the ledger's append-only triggers rightly refuse.

    Only the test harness lifts the triggers, for the flush alone; the application has no such path.
    """
    from django.core.management.commands import flush
    from django.db import connections

    from ledger import append_only

    original = flush.Command.handle

    def handle(self, **options):
        connection = connections[options.get("database") or "default"]
        with connection.cursor() as cursor:
            for statement in append_only.drop_sql(connection.vendor):
                cursor.execute(statement)
        try:
            return original(self, **options)
        finally:
            with connection.cursor() as cursor:
                for statement in append_only.create_sql(connection.vendor):
                    cursor.execute(statement)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original
