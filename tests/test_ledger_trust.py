"""The log cannot be rolled back by whoever holds the database (issue 19, section 3): checkpoints are published to the
write-once store, verification reads them, the signing key is pinned and changes only through the old key, events
out of time order are reported, and no bytes in any row give anything but a report."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from lawtrace_verify.checkpoint import Checkpoint as Note
from lawtrace_verify.checkpoint import KeyStatement, key_id

from evidence.store import default_store
from ledger import checkpoints, keys, publication, signing, tree
from ledger.events import append_events
from ledger.models import Checkpoint, Event, LedgerKey
from ledger.verification import verify_ledger
from tests.ledger_attacks import events, lift_triggers, rebuild_tree_from_rows, rewrite_detail, sql, truncate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_key(settings, tmp_path):
    """Each test pins its own key: the chain of keys starts at install."""
    settings.LEDGER_KEY_DIR = tmp_path / "keys"


@pytest.fixture
def signed(django_capture_on_commit_callbacks):
    """Sign a checkpoint and let it be published, as the commit does in production."""
    def sign(**kwargs) -> Checkpoint:
        with django_capture_on_commit_callbacks(execute=True):
            return checkpoints.make_checkpoint(**kwargs)
    return sign


def refs(report) -> set[str]:
    return {p.ref for p in report.problems}


def kinds(report) -> set[str]:
    return {p.kind for p in report.problems}


def published_checkpoints() -> list[str]:
    return [location for location, _data, _at in default_store().read_versions(publication.CHECKPOINT_PREFIX)]


def test_every_checkpoint_and_the_pinned_key_are_published_write_once(signed):
    events(3)
    first = signed()
    events(2)
    second = signed()
    locations = published_checkpoints()
    assert locations == [publication.checkpoint_location(first), publication.checkpoint_location(second)]
    path = default_store().root / locations[0]
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)  # read-only on disk
    keys_published = list(default_store().read_versions(publication.KEY_PREFIX))
    assert len(keys_published) == 1 and keys.chain()[0].key_id in keys_published[0][0]
    assert Event.objects.filter(verb="ledger.key_pin").count() == 1
    report = verify_ledger()
    assert report.passed, report.problems
    assert report.published_checked == 2


def test_deleting_the_last_events_and_checkpoints_and_rolling_back_the_head_is_found(signed):
    events(6)
    checkpoint = signed()
    events(4)
    signed()
    lift_triggers()
    truncate(5)  # delete the last events and every checkpoint, rebuild the tree, roll the head back to match
    report = verify_ledger()
    published = {f"published:{location}" for location in published_checkpoints()}
    assert {"rollback", "published"} <= kinds(report)
    assert published <= refs(report)
    rollback = next(p for p in report.problems if p.kind == "rollback")
    assert str(checkpoint.size) in rollback.message
    with pytest.raises(CommandError, match="FAILED"):
        call_command("ledger", "verify", stdout=io.StringIO())


def test_deleting_every_checkpoint_is_found(signed):
    events(3)
    signed()
    events(3)
    signed()
    lift_triggers()
    sql("DELETE FROM ledger_checkpoint")
    report = verify_ledger()
    assert {f"published:{location}" for location in published_checkpoints()} <= refs(report)
    assert all("已不在数据库中" in p.message for p in report.problems)  # 已发布的检查点……已不在数据库中


def test_rewritten_history_signed_again_with_the_key_on_disk_is_found(signed):
    events(8)
    original = signed()
    lift_triggers()
    rewrite_detail(3, {"i": 300})
    rebuild_tree_from_rows()  # the database alone is consistent again
    sql("DELETE FROM ledger_checkpoint")
    forged = signed()  # the application itself, with the key on disk, signs the rewritten head
    assert forged is not None
    report = verify_ledger()
    assert ("root", f"published:{publication.checkpoint_location(original)}") in \
        {(p.kind, p.ref) for p in report.problems}


def test_rewritten_history_signed_with_a_new_key_is_found(signed, settings, tmp_path):
    events(5)
    signed()
    lift_triggers()
    rewrite_detail(1, {"i": 100})
    rebuild_tree_from_rows()
    sql("DELETE FROM ledger_checkpoint")
    sql("DELETE FROM ledger_ledgerkey")
    settings.LEDGER_KEY_DIR = tmp_path / "forger-keys"  # a fresh key, pinned by the forger as if at install
    forged = signed()
    report = verify_ledger()
    assert ("signature", f"checkpoint:{forged.id}") in {(p.kind, p.ref) for p in report.problems}
    assert f"key:{forged.key_id}" in refs(report)  # the database's key is not in the published chain
    assert any(p.kind == "key" and "数据库行已被删除" in p.message for p in report.problems)
    assert any(p.kind == "key" and p.ref.startswith("published:ledger/keys/") and forged.key_id in p.message
               for p in report.problems)  # the forger's key, published after the pinned one


def test_a_checkpoint_signed_by_an_unknown_key_fails():
    events(2)
    checkpoints.make_checkpoint()
    stranger = Ed25519PrivateKey.generate()
    public = stranger.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    root = tree.root_at(tree.current_size())
    note = Note("lawtrace", tree.current_size(), root, timezone.now().isoformat(timespec="seconds")).note()
    made = Checkpoint.objects.create(size=tree.current_size(), root=root, signed_at=timezone.now(), note=note,
                                     algorithm="ed25519", key_id=key_id(public), signature=stranger.sign(note.encode()))
    report = verify_ledger()
    assert ("signature", f"checkpoint:{made.id}") in {(p.kind, p.ref) for p in report.problems}


def test_the_key_is_pinned_and_a_replaced_key_file_signs_nothing(settings):
    events(1)
    checkpoints.make_checkpoint()
    pinned = keys.chain()[0]
    private = signing.key_dir() / signing.FILES["ed25519"][0]
    private.unlink()
    signing.ensure_key("ed25519")  # someone puts another key in its place
    events(1)
    with pytest.raises(keys.KeyNotPinned, match=pinned.key_id):
        checkpoints.make_checkpoint()
    assert [k.key_id for k in keys.chain()] == [pinned.key_id]


def test_a_key_change_is_an_event_signed_by_the_old_key_and_covered_by_its_checkpoint(
        signed, django_capture_on_commit_callbacks):
    events(3)
    signed()
    old = keys.chain()[0]
    with django_capture_on_commit_callbacks(execute=True):
        new = keys.rotate()
    assert new.key_id != old.key_id
    row = keys.chain()[1]
    statement = KeyStatement("lawtrace", new.algorithm, new.public, row.tree_size, old.key_id,
                             row.statement.split("\n")[5])
    assert row.statement == statement.text() and row.previous_key_id == old.key_id
    assert signing.verify(old.algorithm, bytes(old.public), row.statement.encode(), bytes(row.signature))
    change = Event.objects.get(verb="ledger.key_change")
    assert change.seq == row.tree_size - 1 and change.detail == {"from": old.key_id, "to": new.key_id,
                                                                  "algorithm": "ed25519"}
    handover = Checkpoint.objects.order_by("-id").first()
    assert handover.key_id == old.key_id and handover.size == row.tree_size
    events(2)
    after = signed()
    assert after.key_id == new.key_id
    report = verify_ledger()
    assert report.passed, report.problems
    assert len(list(default_store().read_versions(publication.KEY_PREFIX))) == 2


def test_a_key_smuggled_into_the_chain_is_not_trusted(signed):
    events(2)
    signed()
    current = keys.chain()[0]
    stranger = Ed25519PrivateKey.generate()
    public = stranger.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    text = KeyStatement("lawtrace", "ed25519", public, tree.current_size() + 1, current.key_id,
                        timezone.now().isoformat(timespec="seconds")).text()
    smuggled = LedgerKey.objects.create(algorithm="ed25519", public=public, key_id=key_id(public),
                                        tree_size=tree.current_size() + 1, previous_key_id=current.key_id,
                                        statement=text, signature=stranger.sign(text.encode()),
                                        introduced_at=timezone.now())
    report = verify_ledger()
    assert f"key:{smuggled.id}" in refs(report) or f"key:{smuggled.key_id}" in refs(report)


def test_a_back_dated_event_is_reported_by_its_sequence_number(signed):
    events(4)
    signed()
    events(2)
    # Appended with a proper leaf and tree, as a forger would, but dated a day earlier.
    forged = Event(occurred_at=timezone.now() - dt.timedelta(days=1), verb="record.view", object_id="1")
    with transaction.atomic():
        append_events([forged])
    events(1)
    report = verify_ledger()
    assert [p.ref for p in report.problems if p.kind == "time"] == [f"event:{forged.seq}"]


def test_an_event_dated_before_the_checkpoint_that_did_not_contain_it_is_reported(signed):
    start = timezone.now()
    with time_machine.travel(start, tick=True):
        events(3)
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=True):
        checkpoint = signed()
        # After the event before it, so the order alone looks right, but before the checkpoint that lacks it.
        forged = Event(occurred_at=start + dt.timedelta(seconds=5), verb="record.view", object_id="1")
        with transaction.atomic():
            append_events([forged])
    assert forged.seq == checkpoint.size
    report = verify_ledger()
    assert [p.ref for p in report.problems if p.kind == "time"] == [f"event:{forged.seq}"]


def test_verify_command_reads_the_published_checkpoints_by_default(signed):
    events(4)
    signed()
    call_command("ledger", "verify", stdout=io.StringIO())
    lift_triggers()
    sql("DELETE FROM ledger_checkpoint")
    out = io.StringIO()
    with pytest.raises(CommandError, match="FAILED"):
        call_command("ledger", "verify", stdout=out)
    assert "ledger/checkpoints/" in out.getvalue()


def test_a_published_checkpoint_changed_in_the_store_is_named(signed):
    events(2)
    made = signed()
    path = default_store().root / publication.checkpoint_location(made)
    os.chmod(path, 0o644)
    path.write_text(path.read_text().replace("signature: ", "signature: 00"))
    report = verify_ledger()
    assert f"published:{publication.checkpoint_location(made)}" in refs(report)


def test_an_unpublished_old_checkpoint_is_reported(signed):
    events(2)
    signed()
    events(1)
    unpublished = checkpoints.make_checkpoint()  # its commit never ran: not published
    assert verify_ledger().passed  # within the grace period
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        report = verify_ledger()
    assert f"checkpoint:{unpublished.id}" in {p.ref for p in report.problems if p.kind == "published"}


def test_verification_without_a_reachable_store_fails_with_the_reason(signed, monkeypatch):
    events(1)
    signed()

    class Down:
        def read_versions(self, prefix):
            raise ConnectionError("store unreachable")

    monkeypatch.setattr(publication, "_provider", lambda: Down())
    report = verify_ledger()
    assert not report.passed and "store unreachable" in report.problems[0].message


def test_sqlite_and_postgresql_name_the_same_rows():
    # The quick path (SQLite) and the column-by-column path (PostgreSQL, and every SQLite row that misses) must
    # agree: run the column-by-column path on SQLite too and compare.
    from ledger import rebuild

    events(9)
    lift_triggers()
    rewrite_detail(4, {"i": 40})
    quick = [(k, s) for k, s, _w in _problems(rebuild)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rebuild, "fast_path", lambda: False)
        slow = [(k, s) for k, s, _w in _problems(rebuild)]
    assert quick == slow == [("changed", 4)]


def _problems(rebuild):
    found = []
    rebuild.rebuild(tree.current_size(), set(), lambda kind, seq, why: found.append((kind, seq, why)))
    return found


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses to store bytes it could not read")
@pytest.mark.parametrize("column", ["occurred_at", "verb", "object_label", "detail", "client_address", "leaf",
                                    "actor_id", "request_id"])
@pytest.mark.parametrize("value", ["CAST(X'FFFE00' AS TEXT)", "X'00FF'", "'{not json'", "NULL", "9223372036854775807",
                                   "'2026-13-45 99:99:99'"])
def test_any_bytes_in_any_event_cell_give_a_report_naming_the_row(column, value):
    events(5)
    checkpoints.make_checkpoint()
    lift_triggers()
    try:
        with transaction.atomic():
            sql(f'UPDATE ledger_event SET "{column}" = {value} WHERE seq = 2')
    except IntegrityError:
        return  # the database's own constraints refuse this value: there is nothing to find
    report = verify_ledger()
    if column == "actor_id":
        sql('UPDATE ledger_event SET actor_id = NULL WHERE seq = 2')  # or the test database's own key check fails
    if report.passed:  # the value was already there (a NULL address, say): nothing was changed
        assert sql(f'SELECT "{column}" IS NULL FROM ledger_event WHERE seq = 2')[0][0] == (value == "NULL")
        return
    assert "event:2" in refs(report) or any(p.ref.startswith("node:") for p in report.problems)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses to store bytes it could not read")
@pytest.mark.parametrize("table,column", [
    ("ledger_checkpoint", "note"), ("ledger_checkpoint", "signed_at"), ("ledger_checkpoint", "algorithm"),
    ("ledger_checkpoint", "signature"), ("ledger_checkpoint", "root"), ("ledger_checkpoint", "size"),
    ("ledger_ledgerkey", "statement"), ("ledger_ledgerkey", "public"), ("ledger_ledgerkey", "introduced_at"),
    ("ledger_ledgerhead", "size"), ("ledger_ledgerhead", "edge"), ("ledger_merklenode", "hash")])
@pytest.mark.parametrize("value", ["CAST(X'FFFE00' AS TEXT)", "X'00'", "'text'", "-1"])
def test_any_bytes_in_checkpoint_key_head_or_node_rows_give_a_report(table, column, value):
    events(6)
    checkpoints.make_checkpoint()
    lift_triggers()
    try:
        with transaction.atomic():
            sql(f'UPDATE {table} SET "{column}" = {value}')
    except IntegrityError:
        return  # the database's own constraints refuse this value: there is nothing to find
    report = verify_ledger()
    assert not report.passed
    assert all(p.message for p in report.problems)


def test_a_ledger_of_several_chunks_verifies_and_names_a_row_in_a_later_chunk():
    from ledger import rebuild

    batch = [Event(verb="record.view", object_type="evidence.record", object_id=str(i % 7), detail={"i": i})
             for i in range(rebuild.CHUNK * 2 + 100)]
    with transaction.atomic():
        append_events(batch)
    checkpoints.make_checkpoint()
    events(1)
    assert verify_ledger().passed
    lift_triggers()
    target = rebuild.CHUNK + 17
    rewrite_detail(target, {"i": -1})
    sql("DELETE FROM ledger_event WHERE seq = %s", [rebuild.CHUNK * 2 + 5])
    report = verify_ledger()
    assert {("changed", f"event:{target}"), ("deleted", f"event:{rebuild.CHUNK * 2 + 5}")} <= \
        {(p.kind, p.ref) for p in report.problems}


@pytest.mark.parametrize(("column", "value"), [
    ("occurred_at", "'0001-01-01 00:00:00'"), ("occurred_at", "'9999-12-31 23:59:59'"), ("detail", "'{\"x\": 1e400}'"),
    ("detail", "'" + "[" * 20 + "1" + "]" * 20 + "'"), ("seq", "-7"), ("actor_id", "-5"), ("leaf", "NULL"),
    ("object_label", "'" + "执" * 255 + "'"), ("client_address", "'::ffff:10.1.2.3'")])
def test_odd_values_any_database_stores_give_a_report_naming_the_row(column, value):
    events(5)
    checkpoints.make_checkpoint()
    lift_triggers()
    if connection.vendor == "postgresql" and column == "occurred_at":
        value = f"{value[:-1]}+00'"
    if connection.vendor == "postgresql" and column == "detail":
        value = f"{value}::jsonb"
    sql(f'UPDATE ledger_event SET "{column}" = {value} WHERE seq = 2')
    report = verify_ledger()
    if column == "actor_id":
        sql("UPDATE ledger_event SET actor_id = NULL WHERE seq = 2")
    assert "event:2" in refs(report), report.problems


def test_rotating_before_any_checkpoint_pins_first_then_changes(django_capture_on_commit_callbacks):
    events(2)
    with django_capture_on_commit_callbacks(execute=True):
        keys.rotate()
    first, second = keys.chain()
    assert second.previous_key_id == first.key_id and second.tree_size == first.tree_size + 1
    assert verify_ledger().passed
