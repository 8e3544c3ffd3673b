"""The authorization registry itself (``authz``): anything undeclared is refused, scopes are one set-based SQL
statement whatever the data, capabilities are declared once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from authz import capabilities, scopes
from authz.roles import Role
from cases.models import Case
from ledger.models import Checkpoint
from tests.factories import AgencyFactory, CaseFactory, UserFactory, officer


@pytest.fixture
def agency(db):
    return AgencyFactory()


def test_an_undeclared_model_or_action_is_refused_not_allowed(agency):
    head = UserFactory(agency=agency, roles=(Role.HEAD,))
    CaseFactory(agency=agency, handlers=[head])
    assert Case.objects.restrict(head, "view").count() == 1
    assert Case.objects.restrict(head, "no_such_action").count() == 0
    assert scopes.condition("ledger.checkpoint", head) is None
    assert not scopes.restrict(Checkpoint.objects.all(), head, "view").exists()


def test_nobody_outside_the_agency_and_nobody_signed_out_sees_a_row(agency):
    from django.contrib.auth.models import AnonymousUser

    CaseFactory(agency=agency)
    stranger = UserFactory(agency=AgencyFactory(code="ruzhou-water", pack_code="ruzhou_water"), roles=(Role.HEAD,))
    nobody = UserFactory(agency=None, roles=(Role.HEAD,))
    for user in (stranger, nobody, AnonymousUser()):
        assert Case.objects.restrict(user, "view").count() == 0


def test_an_unknown_capability_is_held_by_nobody(agency):
    head = UserFactory(agency=agency, roles=(Role.HEAD,))
    assert capabilities.can(head, "case.assign_handlers")
    assert not capabilities.can(head, "case.assign_handler")  # a typo refuses, it never grants


def test_a_capability_declared_twice_with_other_holders_is_an_error():
    capabilities.declare("test.twice", "twice", (Role.HEAD,))
    capabilities.declare("test.twice", "twice", (Role.HEAD,))  # the same declaration again is harmless
    with pytest.raises(ImproperlyConfigured):
        capabilities.declare("test.twice", "twice", (Role.OFFICER,))


def test_a_scope_is_one_statement_and_carries_no_list_of_ids(agency):
    """Set-based SQL (STYLE 3): the query does not grow with the rows the user handles or the marks there are."""
    handler = officer(agency)
    cases = [CaseFactory(agency=agency, handlers=[handler], state_secret=n % 2 == 0) for n in range(30)]
    scoped = Case.objects.restrict(handler, "view")
    sql = str(scoped.query)
    assert not any(f"{c.pk}, {c.pk + 1}" in sql for c in cases)
    with CaptureQueriesContext(connection) as queries:
        assert len(list(scoped)) == 30
    assert len(queries) == 1


def test_000_1_10_someone_cleared_for_every_mark_sees_every_case_not_only_those_they_handle(agency):
    """A rule admitting everything (an empty condition) must not shrink to the other rules when combined."""
    head = UserFactory(agency=agency, roles=(Role.HEAD,), clearances=["state_secret", "commercial_secret",
                                                                       "personal_privacy"])
    plain, marked = CaseFactory(agency=agency), CaseFactory(agency=agency, state_secret=True)
    assert set(Case.objects.restrict(head)) == {plain, marked}
    assert scopes.condition("cases.case", head) is not None


# Models no agency owns, each with why; every other model of the project must answer ``restrict``.
NOT_AGENCY_OWNED = {
    "org.agency": "the agencies themselves",
    "evidence.blob": "stored content, shared by hash; reached only through the records that name it",
    "evidence.fixitycheck": "re-hashes of stored content; shown through the records they concern",
    "evidence.filenamepattern": "camera file-name patterns serve the whole installation",
    "compliance.recomputerun": "runs of the nightly sweep",
    "lawtrace.scheduledjob": "the scheduler's own bookkeeping",
    "ledger.event": "the ledger, read by the audit administrator by agency code (ledger.audit)",
    "ledger.ledgerhead": "the ledger's tree head",
    "ledger.merklenode": "the ledger's tree",
    "ledger.checkpoint": "the ledger's signed checkpoints",
    "ledger.verificationrun": "the audit administrator's verification runs",
}


def test_every_agency_owned_model_answers_restrict():
    from pathlib import Path

    from django.apps import apps
    from django.conf import settings

    from authz.scopes import RestrictedQuerySet

    root = Path(settings.BASE_DIR)
    ours = [config for config in apps.get_app_configs()
            if Path(config.path).is_relative_to(root) and ".venv" not in Path(config.path).parts]
    declared = scopes.declared()
    missing = []
    for config in ours:
        for model in config.get_models():
            label = model._meta.label_lower
            if label in NOT_AGENCY_OWNED:
                continue
            if label not in declared or not isinstance(model._default_manager.all(), RestrictedQuerySet):
                missing.append(label)
    assert missing == [], "declare these models in their app's permissions.py (or say why no agency owns them)"
    assert set(NOT_AGENCY_OWNED) <= {m._meta.label_lower for c in ours for m in c.get_models()}
