"""SM2 (GB/T 32918) checkpoint signatures: made by the platform's OpenSSL, checked by the pure-Python verifier."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from django.db import transaction
from lawtrace_verify import sm2
from lawtrace_verify.bundle import verify_bundle

from ledger import checkpoints, signing
from ledger.bundles import proof_bundle
from ledger.events import record_event
from ledger.models import Event
from ledger.verification import verify_ledger

pytestmark = [pytest.mark.skipif(not signing.openssl_offers_sm2(), reason="this OpenSSL offers no SM2"),
              pytest.mark.django_db]


@pytest.fixture
def sm2_settings(settings, tmp_path):
    settings.LEDGER_KEY_DIR = tmp_path / "keys"
    settings.LEDGER_SIGNATURE = "sm2"
    return settings


def test_pure_python_sm2_verifier_agrees_with_openssl(sm2_settings, tmp_path):
    key = signing.ensure_key()
    assert key.algorithm == "sm2" and len(key.public) == 65
    assert (key.private_path.stat().st_mode & 0o777) == 0o600
    for size in (0, 1, 100, 5000):
        message = os.urandom(size)
        signature = key.sign(message)
        assert sm2.verify(key.public, message, signature)
        assert not sm2.verify(key.public, message + b"!", signature)
        assert not sm2.verify(key.public, message, signature[:-1] + bytes([signature[-1] ^ 1]))
    other = tmp_path / "other.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "SM2", "-out", str(other)], check=True)
    other_public = subprocess.run(["openssl", "pkey", "-in", str(other), "-pubout", "-outform", "DER"],
                                  capture_output=True, check=True).stdout[-65:]
    assert sm2.verify(key.public, b"x", key.sign(b"x"))
    assert not sm2.verify(other_public, b"x", key.sign(b"x"))  # another key's point does not accept it


def test_sm2_checkpoints_verify_in_the_ledger_and_offline(sm2_settings, tmp_path):
    with transaction.atomic():
        record_event("test.one")
        record_event("test.two")
    checkpoint = checkpoints.make_checkpoint()
    assert checkpoint.algorithm == "sm2"
    assert verify_ledger().passed
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(proof_bundle(list(Event.objects.all()), checkpoint=checkpoint)), encoding="utf-8")
    report = verify_bundle(bundle)
    assert report.passed, report.lines


def test_checkpoints_signed_before_a_change_of_algorithm_still_verify(settings, tmp_path):
    settings.LEDGER_KEY_DIR = tmp_path / "keys"
    with transaction.atomic():
        record_event("test.one")
    assert checkpoints.make_checkpoint().algorithm == "ed25519"
    settings.LEDGER_SIGNATURE = "sm2"
    with transaction.atomic():
        record_event("test.two")
    assert checkpoints.make_checkpoint().algorithm == "sm2"
    report = verify_ledger()
    # The first, the old key's checkpoint over the key change, and the new key's.
    assert report.passed and report.checkpoints_checked == 3, report.problems
    from ledger.models import Checkpoint, LedgerKey

    old, new = LedgerKey.objects.order_by("id")
    assert (old.algorithm, new.algorithm, new.previous_key_id) == ("ed25519", "sm2", old.key_id)
    assert [c.key_id for c in Checkpoint.objects.order_by("id")] == [old.key_id, old.key_id, new.key_id]


def test_the_ledger_page_names_the_algorithm_that_signs(sm2_settings, client):
    from authz.roles import Role
    from tests.factories import UserFactory

    client.force_login(UserFactory(roles=(Role.AUDIT_ADMIN,)))
    page = client.get("/ledger/").content.decode()
    assert "SM2 (GB/T 32918)" in page and "Ed25519" not in page
