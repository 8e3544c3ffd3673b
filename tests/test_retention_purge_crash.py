"""000/2/15: a purge writes its tombstone and its ledger event before it destroys anything, and an interrupted purge
is finished by the next run. A crash injected at every step leaves either the content or the tombstone with its
event — never content gone without a trace — and running the job again completes it exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from evidence import derivatives
from evidence import services as evidence_services
from evidence.models import Blob, Record
from evidence.store import LocalStore, store_named
from ledger.models import Event
from retention import services
from retention.models import PurgeProposal, Tombstone
from tests.access_world import build

LATER = dt.timedelta(days=400)


class Crash(BaseException):
    """The process dies here: nothing after this line runs, open transactions roll back."""


def _crash(*args, **kwargs):
    raise Crash


def at_content_check(monkeypatch):
    monkeypatch.setattr(services, "content_locked", _crash)  # as the purge calls it


def inside_the_tombstone_transaction(monkeypatch):
    monkeypatch.setattr(Tombstone.objects, "create", _crash)  # after the event row, before the commit


def after_the_tombstone_before_erasing(monkeypatch):
    monkeypatch.setattr(services, "erase_content", _crash)


def between_two_deletions(monkeypatch):
    real = LocalStore.delete
    calls = []

    def delete(self, obj):
        calls.append(obj.key)
        if len(calls) == 2:
            raise Crash
        real(self, obj)

    monkeypatch.setattr(LocalStore, "delete", delete)


def after_the_last_deletion(monkeypatch):
    real = services.erase_content

    def erase(record):
        real(record)
        raise Crash

    monkeypatch.setattr(services, "erase_content", erase)


STEPS = [at_content_check, inside_the_tombstone_transaction, after_the_tombstone_before_erasing,
         between_two_deletions, after_the_last_deletion]


@pytest.fixture
def approved(db, tmp_path):
    w = build("lushan_finance", tmp_path)
    record = Record.objects.select_related("blob").get(pk=w.clip.pk)
    derivatives.make_all(record)  # thumbnail, strip and playback copy: four objects go with the record
    with time_machine.travel(timezone.now() + LATER):
        proposal, = services.propose_purge([record], reason="日常检查，无争议，无保存价值", actor=w.archivist)
        services.decide_purge([proposal], approve=True, actor=w.head, comment="同意清除")
    return record


def objects_of(record: Record) -> list:
    blobs = [record.blob] + [d.blob for d in record.derivatives.select_related("blob")]
    return [store_named("local").path(derivatives.stored_object(blob)) for blob in blobs]


@pytest.mark.parametrize("step", STEPS, ids=[s.__name__ for s in STEPS])
def test_000_2_15_a_purge_crashed_at_any_step_leaves_content_or_tombstone_and_event_and_resumes(approved, step,
                                                                                                monkeypatch):
    record = approved
    paths = objects_of(record)
    assert len(paths) == 4 and all(p.exists() for p in paths)  # the original, thumbnail, contact strip, playback copy
    with time_machine.travel(timezone.now() + LATER):
        with monkeypatch.context() as patched:
            step(patched)
            with pytest.raises(Crash):
                services.purge_approved()
        record.refresh_from_db()
        tombstones = Tombstone.objects.filter(record=record).count()
        events = Event.objects.filter(verb="record.purge", object_id=str(record.pk)).count()
        content_intact = all(p.exists() for p in paths)
        assert (tombstones, events) in ((0, 0), (1, 1))
        if tombstones == 0:
            assert content_intact and record.purged_at is None  # nothing happened
        else:
            assert record.purged_at is not None  # no longer served, whatever bytes remain
        assert content_intact or tombstones == 1, "content destroyed without a tombstone"

        assert services.purge_approved() == 1
        assert services.purge_approved() == 0  # nothing left to do, nothing done twice
    record.refresh_from_db()
    assert Tombstone.objects.filter(record=record).count() == 1
    assert Event.objects.filter(verb="record.purge", object_id=str(record.pk)).count() == 1
    assert not any(p.exists() for p in paths)
    assert Blob.objects.filter(purged_at__isnull=True, pk__in=[record.blob_id]).count() == 0
    assert PurgeProposal.objects.get(record=record).state == PurgeProposal.State.DONE


def test_000_2_15_the_tombstone_and_event_are_committed_before_the_first_byte_goes(approved, monkeypatch):
    seen = []
    real = LocalStore.delete

    def delete(self, obj):
        seen.append((Tombstone.objects.filter(record=approved).exists(),
                     Event.objects.filter(verb="record.purge", object_id=str(approved.pk)).exists()))
        real(self, obj)

    monkeypatch.setattr(LocalStore, "delete", delete)
    with time_machine.travel(timezone.now() + LATER):
        assert services.purge_approved() == 1
    assert seen and all(tomb and event for tomb, event in seen)


def test_erasing_content_without_a_tombstone_is_refused(approved):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        evidence_services.erase_content(approved)
    assert all(p.exists() for p in objects_of(approved))
