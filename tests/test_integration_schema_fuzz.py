"""Schemathesis over the whole API schema (issue 25): whatever a connected system sends that the schema allows,
the server answers without a server error.

The operations' strategies are driven by Hypothesis directly: schemathesis' pytest plugin does not run under
pytest 9 (it reads a removed attribute of the test item)."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from integration import accounts
from tests.factories import ActivityFactory, CaseFactory, RecordFactory, officer
from tests.test_integration_api import ALL


def api_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    document["paths"] = {path: spec for path, spec in document["paths"].items() if path.startswith("/api/v1/")}
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = get_wsgi_application()
    return loaded


@pytest.fixture
def bearer(agency, settings):
    settings.INTEGRATION_API_RATE = "100000/min"
    person = officer(agency, staff_number="A1001")
    case = CaseFactory(agency=agency, handlers=[person])
    ActivityFactory(agency=agency, case=case, officers=[person])
    RecordFactory(agency=agency, officer=person, case=case)
    account = accounts.create_account(agency, name="模糊测试系统")
    _token, secret = accounts.issue_token(account, operations=ALL, expires_at=timezone.now() + dt.timedelta(days=1))
    return f"Bearer {secret}"


@pytest.fixture
def in_process():
    """Requests through the WSGI handler inside the test's transaction, as Django's test client does them: the
    handler must not close the test's connection when a request finishes."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_no_request_the_schema_describes_gets_a_server_error(bearer, in_process):
    operations = [result.ok() for result in api_schema().get_all_operations()]
    assert len(operations) >= 17  # every path of the integration and station APIs, each method

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case) -> None:
            case.call_and_validate(headers={"Authorization": bearer}, checks=[not_a_server_error])

        call()
    from ledger.models import Event

    # The examples reached the views (every call, or its refusal, is an event), not a harness error page.
    assert Event.objects.filter(verb__startswith="api.").count() >= 5 * len(operations)
