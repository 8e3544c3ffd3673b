from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from org.models import User
from tests.factories import AgencyFactory, officer

# The machines are shared and noisy: Hypothesis must not fail a property because drawing examples was slow.
hypothesis_settings.register_profile("shared_machines", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("shared_machines")


@pytest.fixture
def agency(db):
    return AgencyFactory()


@pytest.fixture
def other_agency(db):
    return AgencyFactory(code="ruzhou-water", name="汝州市水利局", pack_code="ruzhou_water")


@pytest.fixture
def an_officer(agency) -> User:
    return officer(agency)


@pytest.fixture
def builtin_name_patterns(db):
    """The camera naming schemes the migrations seed: a transactional test's flush removes them for later tests."""
    from importlib import import_module

    from evidence.models import FilenamePattern

    seeded = import_module("evidence.migrations.0009_photo_and_audio_name_patterns")
    for _old, regex, note in seeded.OLD_TO_NEW:
        FilenamePattern.objects.get_or_create(brand="通用", model="", regex=regex, defaults={"note": note})


def login(client: Client, user: User) -> Client:
    """Signed in as the login page leaves a session (``org.gate.signed_in``): its idle expiry just renewed."""
    import time

    from org import gate

    client.force_login(user)
    session = client.session
    session[gate.RENEWED] = int(time.time())
    session.save()
    return client


@pytest.fixture(autouse=True)
def _second_factor_only_where_tested(settings):
    """Tests sign people in with force_login, which cannot give a second factor; the tests of the second factor
    (tests/test_mfa.py, the onboarding journey) turn the requirement back on."""
    settings.MFA_REQUIRED_ROLES = []


@pytest.fixture
def fast_passwords(settings):
    """Argon2 costs a good part of a second per password on purpose; tests that make dozens of accounts (imports)
    hash with a cheap algorithm instead. tests/test_org.py checks that Argon2 is what the system uses."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


@pytest.fixture(autouse=True)
def _private_object_store(settings, tmp_path):
    """Each test files into its own store directory, so write-once objects never leak between tests."""
    from evidence.store import store_named

    settings.EVIDENCE_STORE_DIR = tmp_path / "objects"
    settings.EVIDENCE_UPLOAD_DIR = tmp_path / "uploads"
    settings.EVIDENCE_STORE = "local"
    store_named.cache_clear()
    yield
    store_named.cache_clear()
    for path in (tmp_path / "objects").rglob("*"):
        if path.is_file():
            path.chmod(0o644)


@pytest.fixture(scope="session")
def seaweedfs_server(tmp_path_factory):
    """A real SeaweedFS S3 server with Object Lock, started by the project's script and stopped afterwards; its
    directory holds the filer's and volume server's addresses."""
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "seaweed-throwaway.sh"
    directory = tmp_path_factory.mktemp("seaweedfs")
    endpoint = subprocess.run([str(script), "start", str(directory)], check=True, capture_output=True,
                              text=True).stdout.strip()
    yield endpoint, directory
    subprocess.run([str(script), "stop", str(directory)], check=False)


@pytest.fixture(scope="session")
def seaweedfs(seaweedfs_server):
    return seaweedfs_server[0]


@pytest.fixture
def s3_store(seaweedfs, settings, tmp_path):
    import uuid

    from evidence.store import S3Store, store_named

    settings.EVIDENCE_STORE = "s3"
    settings.EVIDENCE_S3 = {
        "endpoint": seaweedfs, "bucket": f"lawtrace-{uuid.uuid4().hex[:12]}", "access_key": "lawtrace",
        "secret_key": "lawtrace-secret", "region": "us-east-1", "default_retention_days": 1,
    }
    store_named.cache_clear()
    store = store_named("s3")
    assert isinstance(store, S3Store)
    store.ensure_bucket()
    yield store
    store_named.cache_clear()
