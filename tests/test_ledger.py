"""The tamper-evident ledger: appends, proofs, checkpoints, and tampering behind the application's back."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from lawtrace_verify import merkle
from lawtrace_verify.canonical import canonical_bytes

from ledger import append_only, checkpoints, tree
from ledger.bundles import proof_bundle
from ledger.events import append_events, canonical_time, column_time, event_fields, record_event
from ledger.models import Checkpoint, Event, MerkleNode
from ledger.verification import verify_ledger
from org.services import create_agency

pytestmark = pytest.mark.django_db


def _events(n: int, **detail) -> list[Event]:
    made = []
    for i in range(n):
        with transaction.atomic():
            made.append(record_event("test.event", detail={"i": i, **detail}))
    return made


def _sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _behind_the_back() -> None:
    """What a DBA with owner rights could do: lift the triggers (inside the test's transaction)."""
    for statement in append_only.drop_sql(connection.vendor):
        _sql(statement)


def _kinds(report) -> set[tuple[str, str]]:
    return {(p.kind, p.where) for p in report.problems}


def test_tree_in_the_database_gives_the_reference_root_and_proofs():
    events = _events(13)
    leaves = [merkle.leaf_hash(canonical_bytes(event_fields(Event.objects.get(seq=e.seq)))) for e in events]
    assert [e.seq for e in events] == list(range(13))
    for size in range(1, 14):
        root = merkle.root(leaves[:size])
        assert tree.root_at(size) == root
        for index in range(size):
            assert merkle.verify_inclusion(leaves[index], index, size, tree.inclusion_proof(index, size), root)
    for old in range(1, 13):
        assert merkle.verify_consistency(old, 13, merkle.root(leaves[:old]), merkle.root(leaves),
                                         tree.consistency_proof(old, 13))


def test_the_stored_time_is_the_orms_own_form_and_reads_back_to_the_hashed_leaf():
    moments = [dt.datetime(2026, 1, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
               dt.datetime(2026, 11, 23, 7, 33, 10, 5, tzinfo=dt.UTC)]
    store = column_time(connection)
    assert [store(m, canonical_time(m)) for m in moments] == \
        [connection.ops.adapt_datetimefield_value(m) for m in moments]
    events = [Event(occurred_at=m, verb="test.time", detail={"z": [1, {"b": 2, "a": None}], "a": "执法"})
              for m in moments]
    with transaction.atomic():
        append_events(events)
    for event in events:
        stored = Event.objects.get(seq=event.seq)
        assert (stored.occurred_at, stored.detail) == (event.occurred_at, event.detail)
        assert merkle.leaf_hash(canonical_bytes(event_fields(stored))) == tree.leaf_at(event.seq)


def test_a_proof_needs_one_query(django_assert_num_queries):
    _events(37)
    with django_assert_num_queries(1):
        tree.inclusion_proof(21, 37)


def test_if_the_event_cannot_be_written_the_change_does_not_happen(monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(tree, "append_leaves", broken)
    with pytest.raises(DatabaseError):
        create_agency(code="x-agency", name="某局", pack_code="lushan_finance")
    from org.models import Agency

    assert not Agency.objects.filter(code="x-agency").exists() and not Event.objects.exists()


def test_triggers_refuse_update_and_delete_even_in_raw_sql():
    _events(2)
    for statement in ("UPDATE ledger_event SET verb = 'forged' WHERE seq = 0", "DELETE FROM ledger_event WHERE seq = 1",
                      "DELETE FROM ledger_merklenode"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _sql(statement)
    checkpoints.make_checkpoint()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("UPDATE ledger_checkpoint SET size = 0")
    assert verify_ledger().passed


def test_verify_names_a_changed_row():
    _events(10)
    checkpoints.make_checkpoint()
    _behind_the_back()
    _sql("UPDATE ledger_event SET detail = %s WHERE seq = 6", [json.dumps({"i": 600})])
    report = verify_ledger()
    assert ("changed", "#6") in _kinds(report)
    assert "root" in {p.kind for p in report.problems}  # the signed checkpoint no longer matches either
    with pytest.raises(CommandError, match="FAILED"):
        call_command("ledger", "verify", stdout=io.StringIO())


def test_a_leaf_lives_in_its_event_row_and_a_rewritten_row_with_its_leaf_still_fails_the_tree():
    _events(4)
    assert not MerkleNode.objects.filter(key__lt=tree.node_key(1, 0)).exists()  # no leaf rows in the tree table
    assert tree.leaf_at(2) == bytes(Event.objects.get(seq=2).leaf)
    _behind_the_back()
    forged = Event.objects.get(seq=2)
    forged.detail = {"i": 200}
    _sql("UPDATE ledger_event SET detail = %s, leaf = %s WHERE seq = 2",
         [json.dumps(forged.detail), merkle.leaf_hash(canonical_bytes(event_fields(forged)))])
    kinds = _kinds(verify_ledger())
    assert ("node", "L1/1") in kinds and ("changed", "#2") not in kinds  # the pair above it no longer matches


def test_verify_names_a_deleted_row():
    _events(9)
    _behind_the_back()
    _sql("DELETE FROM ledger_event WHERE seq = 4")
    assert ("deleted", "#4") in _kinds(verify_ledger())


def test_verify_detects_swapped_rows():
    _events(6)
    _behind_the_back()
    first, second = Event.objects.get(seq=1), Event.objects.get(seq=2)
    _sql("UPDATE ledger_event SET detail = %s WHERE seq = 1", [json.dumps(second.detail)])
    _sql("UPDATE ledger_event SET detail = %s WHERE seq = 2", [json.dumps(first.detail)])
    kinds = _kinds(verify_ledger())
    assert ("changed", "#1") in kinds and ("changed", "#2") in kinds


def test_verify_detects_a_row_inserted_behind_the_application():
    events = _events(3)
    fields = event_fields(events[0])
    _sql("INSERT INTO ledger_event (seq, occurred_at, verb, result, actor_label, agency_code, object_type, object_id,"
         " object_label, request_id) VALUES (3, %s, 'forged', 'done', '', '', '', '', '', '')", [events[0].occurred_at])
    assert fields["seq"] == 0
    assert ("inserted", "#3") in _kinds(verify_ledger())


def test_verify_detects_a_changed_tree_node():
    _events(8)
    _behind_the_back()
    _sql("UPDATE ledger_merklenode SET hash = %s WHERE \"key\" = %s", [b"\x00" * 32, tree.node_key(2, 1)])
    assert ("node", "L2/1") in _kinds(verify_ledger())


def test_verify_detects_rollback_and_split_view():
    _events(5)
    first = checkpoints.make_checkpoint()
    _events(3)
    checkpoints.make_checkpoint()
    # A forged checkpoint signed with the real key, for the same size as the first with another root.
    from lawtrace_verify.checkpoint import Checkpoint as Note

    from ledger import signing

    key = signing.ensure_key()
    note = Note("lawtrace", first.size, b"\x07" * 32, "2026-01-01T00:00:00+00:00").note()
    Checkpoint.objects.create(size=first.size, root=b"\x07" * 32, signed_at=first.signed_at, note=note,
                              algorithm="ed25519", key_id=key.key_id, signature=key.sign(note.encode()))
    kinds = {p.kind for p in verify_ledger().problems}
    assert {"rollback", "split"} <= kinds


def test_verify_detects_a_forged_signature():
    _events(2)
    made = checkpoints.make_checkpoint()
    _behind_the_back()
    _sql("UPDATE ledger_checkpoint SET signature = %s WHERE id = %s", [b"\x01" * 64, made.id])
    assert "signature" in {p.kind for p in verify_ledger().problems}


def test_witness_detects_a_database_restored_from_an_old_backup(tmp_path):
    _events(4)
    witness = tmp_path / "witness.txt"
    checkpoints.make_checkpoint()
    witness.write_text(checkpoints.witness_text(), encoding="utf-8")
    call_command("ledger", "verify", "--witness", str(witness), stdout=io.StringIO())
    _behind_the_back()
    _sql("DELETE FROM ledger_checkpoint")
    _sql("DELETE FROM ledger_event WHERE seq >= 2")
    _sql("DELETE FROM ledger_merklenode")
    _sql("UPDATE ledger_ledgerhead SET size = 0, edge = %s", [b""])
    with pytest.raises(CommandError):
        call_command("ledger", "verify", "--witness", str(witness), stdout=io.StringIO())


def test_offline_verifier_accepts_a_bundle_and_rejects_any_change(tmp_path):
    events = _events(11)
    evidence = tmp_path / "clip.mp4"
    evidence.write_bytes(b"\x00\x00\x00\x18ftypmp42 body camera")
    import hashlib

    files = [{"path": "clip.mp4", "sha256": hashlib.sha256(evidence.read_bytes()).hexdigest()}]
    bundle = proof_bundle([events[3], events[9]], files)
    path = tmp_path / "proof.json"

    def run(content: dict, *args: str) -> subprocess.CompletedProcess:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
        return subprocess.run([sys.executable, "-m", "lawtrace_verify", str(path), *args], capture_output=True,
                              text=True)

    good = run(bundle, "--key", bundle["public_key"]["key_id"])
    assert good.returncode == 0, good.stdout
    assert "全部通过" in good.stdout
    tampered = json.loads(json.dumps(bundle))
    tampered["events"][0]["event"]["detail"]["i"] = 4
    assert run(tampered).returncode == 1
    assert run(bundle, "--key", "0" * 16).returncode == 1
    evidence.write_bytes(b"altered")
    changed_file = run(bundle)
    assert changed_file.returncode == 1 and "clip.mp4" in changed_file.stdout


@pytest.mark.skipif(connection.vendor != "postgresql", reason="grants exist in PostgreSQL only")
def test_application_role_cannot_update_or_delete_the_ledger():
    _events(1)
    _sql("CREATE ROLE lawtrace_app_test NOLOGIN")
    _sql("GRANT USAGE ON SCHEMA public TO lawtrace_app_test")
    call_command("ledger", "grants", "lawtrace_app_test", "--apply")
    _behind_the_back()  # even without the triggers the grants alone refuse
    _sql("SET ROLE lawtrace_app_test")
    try:
        for statement in ("UPDATE ledger_event SET verb = 'x'", "DELETE FROM ledger_event",
                          "TRUNCATE ledger_event CASCADE"):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                _sql(statement)
    finally:
        _sql("RESET ROLE")


def test_registers_are_queries_over_events(agency):
    from devices.services import register_device
    from ledger.queries import events_matching

    device = register_device(agency, kind="body_camera", brand="海康威视", model="DSJ-A7", serial="HK001")
    other = register_device(agency, kind="body_camera", brand="海康威视", model="DSJ-A7", serial="HK002")
    with transaction.atomic():
        record_event("device.hand_out", obj=device, detail={"to": "officer"})
    device_ledger = events_matching(object_type="devices.device", object_ids=[device.pk])
    assert [e.verb for e in device_ledger] == ["device.register", "device.hand_out"]
    assert events_matching(verb_prefix="device.", agency_code=agency.code).count() == 3
    assert other.pk not in {int(e.object_id) for e in device_ledger}
