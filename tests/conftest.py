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
