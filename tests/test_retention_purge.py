"""Approved purges in jobs, leaving a tombstone and a ledger event; holds and open cases survive (000/2/15, 000/2/16,
000/2/15)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from evidence import fixity
from evidence.models import Record
from evidence.queries import visible_records
from ledger.models import Event
from retention import services
from retention.models import Hold, PurgeProposal, Tombstone
from tests.access_world import build

LATER = dt.timedelta(days=400)


@pytest.fixture
def w(db, tmp_path):
    return build("lushan_finance", tmp_path)


def test_000_2_15_an_expired_record_is_purged_only_after_the_heads_approval_leaving_a_tombstone(w):
    from evidence.store import store_named

    record = w.clip
    path = store_named("local").path(fixity.stored_object(record.blob))
    assert path.exists()
    with pytest.raises(services.RetentionRefused):  # not due yet
        services.propose_purge([record], reason="无保存价值", actor=w.archivist)
    with time_machine.travel(timezone.now() + LATER):
        with pytest.raises(services.RetentionRefused):
            services.propose_purge([record], reason="无保存价值", actor=w.head)  # the archivist proposes
        proposal, = services.propose_purge([record], reason="日常检查，无争议，无保存价值", actor=w.archivist)
        with pytest.raises(services.RetentionRefused):
            services.decide_purge([proposal], approve=True, actor=w.archivist)
        assert services.purge_approved() == 0  # nothing approved yet
        services.decide_purge([proposal], approve=True, actor=w.head, comment="同意清除")
        assert path.exists()  # never inside the request: the job does it
        assert services.purge_approved() == 1
    record.refresh_from_db()
    assert record.purged_at is not None and not path.exists()
    tomb = Tombstone.objects.get(record=record)
    assert tomb.sha256 == record.blob.sha256 and tomb.approvals["approved_by"] == str(w.head)
    event = Event.objects.get(verb="record.purge", object_id=str(record.pk))
    assert tomb.event_seq == event.seq and event.before["sha256"] == record.blob.sha256
    assert visible_records(w.archivist).filter(pk=record.pk).exists()  # the catalogue entry stays
    assert not visible_records(w.archivist, "play").filter(pk=record.pk).exists()
    assert not fixity.due().filter(pk=record.blob_id).exists()
    assert PurgeProposal.objects.get().state == PurgeProposal.State.DONE


def test_a_held_record_survives_an_approved_purge(w):
    with time_machine.travel(timezone.now() + LATER):
        proposal, = services.propose_purge([w.clip], reason="无保存价值", actor=w.archivist)
        services.decide_purge([proposal], approve=True, actor=w.head)
        services.place_hold([w.clip], kind=Hold.Kind.LONG_TERM, trigger="objection_or_complaint",
                            reason="当事人已提出投诉", actor=w.archivist)
        assert services.purge_approved() == 0
    proposal.refresh_from_db()
    assert proposal.state == PurgeProposal.State.BLOCKED and proposal.blocked_reason
    assert Record.objects.get(pk=w.clip.pk).purged_at is None
    hold = Hold.objects.get()
    assert hold.cites == "000/2/16/(一)"
    assert Event.objects.filter(verb="retention.purge_blocked").exists()


def test_000_2_16_a_long_term_hold_needs_one_of_the_packs_triggers_and_the_head_releases_it(w):
    with pytest.raises(services.RetentionRefused):
        services.place_hold([w.clip], kind=Hold.Kind.LONG_TERM, trigger="because", reason="x", actor=w.archivist)
    hold, = services.place_hold([w.clip], kind=Hold.Kind.LITIGATION, reason="行政诉讼中", actor=w.archivist)
    with pytest.raises(services.RetentionRefused):
        services.release_hold(hold, actor=w.archivist, reason="诉讼结束")
    services.release_hold(hold, actor=w.head, reason="诉讼结束")
    assert Event.objects.filter(verb="retention.release").exists()


def test_records_of_an_open_case_cannot_be_purged_whatever_the_dates(db, tmp_path):
    w = build("lushan_finance", tmp_path, archived=False)
    with time_machine.travel(timezone.now() + dt.timedelta(days=4000)):
        assert "not archived" in services.purge_blocker(Record.objects.get(pk=w.clip.pk)) or \
            "未归档" in services.purge_blocker(Record.objects.get(pk=w.clip.pk))
        with pytest.raises(services.RetentionRefused):
            services.propose_purge([w.clip], reason="无保存价值", actor=w.archivist)


def test_a_rejected_purge_keeps_the_record_and_needs_a_reason(w):
    with time_machine.travel(timezone.now() + LATER):
        proposal, = services.propose_purge([w.clip], reason="无保存价值", actor=w.archivist)
        with pytest.raises(services.RetentionRefused):
            services.decide_purge([proposal], approve=False, actor=w.head)
        services.decide_purge([proposal], approve=False, actor=w.head, comment="仍有投诉可能")
        assert services.purge_approved() == 0
    assert PurgeProposal.objects.get().state == PurgeProposal.State.REJECTED


def test_a_locked_seaweedfs_object_is_not_deleted_early_and_the_purge_waits(s3_store, db, tmp_path):
    from evidence.store import ObjectLocked

    w = build("lushan_finance", tmp_path)
    record = Record.objects.select_related("blob").get(pk=w.clip.pk)
    assert record.blob.backend == "s3"
    with pytest.raises(ObjectLocked):
        s3_store.delete(fixity.stored_object(record.blob))
    # The schedule extended the object's COMPLIANCE lock to the retention end. Should the catalogue say the term
    # is over while the server's lock still runs (a clock or data error), the server refuses and the job waits.
    lock = s3_store.client.get_object_retention(Bucket=s3_store.bucket, Key=record.blob.key,
                                                VersionId=record.blob.version_id)["Retention"]["RetainUntilDate"]
    assert lock.date() > (timezone.now() + dt.timedelta(days=300)).date()
    from retention.models import Schedule

    Schedule.objects.filter(record=record).update(retain_until=timezone.localdate() - dt.timedelta(days=1))
    proposal, = services.propose_purge([record], reason="无保存价值", actor=w.archivist)
    services.decide_purge([proposal], approve=True, actor=w.head)
    assert services.purge_approved() == 0
    proposal.refresh_from_db()
    assert proposal.state == PurgeProposal.State.APPROVED
    assert b"".join(s3_store.read_range(fixity.stored_object(record.blob), 0, 3))


def test_000_2_15_proposing_nothing_is_refused_not_reported_as_done(client, w):
    from tests.conftest import login

    with pytest.raises(services.RetentionRefused, match="勾选"):
        services.propose_purge([], reason="无保存价值", actor=w.archivist)
    login(client, w.archivist)
    page = client.post("/retention/propose/", {"reason": "无保存价值"}, follow=True).content.decode()
    assert "未提出任何清除" in page and "已提出清除 0 条" not in page, page[page.find("<main"):][:1500]
    with pytest.raises(services.RetentionRefused, match=w.clip.original_name):  # named by its file, not its id
        services.propose_purge([w.clip], reason="无保存价值", actor=w.archivist)
