"""Retention per record from each seed pack (000/2/15), edge days, holds and approved purges that leave proof."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from ledger.models import Event
from retention import services
from retention.models import Schedule
from tests.factories import AgencyFactory, CaseFactory, RecordFactory

PACK_AGENCY = {"lushan_finance": "lushan-finance", "pingdingshan_emergency": "pingdingshan-emergency",
               "ruzhou_water": "ruzhou-water", "xinzhou_finance": "xinzhou-finance"}
RECORDED = timezone.make_aware(dt.datetime(2026, 1, 15, 10, 0))


def agency(pack: str):
    return AgencyFactory(code=PACK_AGENCY[pack], name=pack, pack_code=pack)


def schedule(record) -> Schedule:
    services.refresh([record.pk])
    return Schedule.objects.get(record=record)


def clip(owner, **fields):
    return RecordFactory(agency=owner, recorded_start=RECORDED, recorded_end=RECORDED + dt.timedelta(minutes=5),
                         **fields)


def test_000_2_15_audio_visual_records_are_kept_twelve_months(db):
    result = schedule(clip(agency("lushan_finance")))
    assert result.retain_until == dt.date(2027, 1, 15) and "000/2/15" in result.cites


def test_000_2_15_the_day_of_expiry_is_still_kept_the_day_after_is_due(db):
    record = clip(agency("lushan_finance"), usage="other")
    schedule(record)
    assert services.purge_blocker(record, dt.date(2027, 1, 14))
    assert services.purge_blocker(record, dt.date(2027, 1, 15))
    assert services.purge_blocker(record, dt.date(2027, 1, 16)) is None


def test_002_retention_av_twelve_months_and_case_records_as_long_as_the_case_file(db):
    owner = agency("ruzhou_water")
    assert schedule(clip(owner)).retain_until == dt.date(2027, 1, 15)
    on_case = schedule(clip(owner, case=CaseFactory(agency=owner)))
    assert on_case.retain_until is None and "档案管理" in on_case.pending  # the case-file term is set elsewhere


def test_004_12_daily_patrol_at_least_six_months(db):
    result = schedule(clip(agency("xinzhou_finance"), usage="patrol"))
    assert result.retain_until == dt.date(2026, 7, 15) and result.cites == "004/12"


def test_004_12_case_evidence_as_long_as_the_case_file(db):
    owner = agency("xinzhou_finance")
    case = CaseFactory(agency=owner, category="penalty", procedure="general")
    result = schedule(clip(owner, usage="evidence", case=case))
    assert result.retain_until is None and result.pending and "004/12" in result.cites


def test_001_3_8_records_not_on_a_case_at_least_three_years(db):
    assert schedule(clip(agency("pingdingshan_emergency"))).retain_until == dt.date(2029, 1, 15)


@pytest.mark.parametrize("flags, until, cite", [
    ({}, dt.date(2031, 3, 1), "001/2/12/(四)"),
    ({"hearing": True}, dt.date(2036, 3, 1), "001/2/12/(三)"),
    ({"compulsory_execution": True}, dt.date(2036, 3, 1), "001/2/12/(三)"),
    ({"complex_case": True}, dt.date(2056, 3, 1), "001/2/12/(二)"),
])
def test_001_2_12_case_records_follow_the_case_file_tier_from_archiving(db, flags, until, cite):
    owner = agency("pingdingshan_emergency")
    case = CaseFactory(agency=owner, archived_on=dt.date(2026, 3, 1), state="archived", **flags)
    result = schedule(clip(owner, case=case))
    assert result.retain_until == until and cite in result.cites


def test_001_2_12_major_penalty_and_major_social_impact_files_are_permanent(db):
    owner = agency("pingdingshan_emergency")
    for flag in ("major_penalty", "major_social_impact"):
        case = CaseFactory(agency=owner, archived_on=dt.date(2026, 3, 1), state="archived", **{flag: True})
        result = schedule(clip(owner, case=case))
        assert result.permanent and result.retain_until is None


def test_001_3_8_an_open_case_keeps_its_records_whatever_the_dates(db):
    owner = agency("pingdingshan_emergency")
    record = clip(owner, case=CaseFactory(agency=owner))
    assert schedule(record).pending == "case not archived yet"
    with time_machine.travel(dt.datetime(2040, 1, 1, tzinfo=dt.UTC)):
        assert services.purge_blocker(record)


def test_a_case_change_recomputes_its_records_and_shortening_waits_for_the_head(db):
    from authz.roles import Role
    from cases.services import update_case
    from tests.factories import UserFactory

    owner = agency("pingdingshan_emergency")
    head = UserFactory(agency=owner, roles=(Role.HEAD,))
    case = CaseFactory(agency=owner, archived_on=dt.date(2026, 3, 1), state="archived", complex_case=True,
                       opened_on=dt.date(2026, 1, 5), handlers=[head])
    record = clip(owner, case=case)
    assert schedule(record).retain_until == dt.date(2056, 3, 1)
    update_case(case, {"complex_case": False}, actor=head)
    result = Schedule.objects.get(record=record)
    assert result.computed_until == dt.date(2031, 3, 1) and result.retain_until == dt.date(2056, 3, 1)
    assert result.shortening_pending
    services.approve_shortening(result, actor=head)
    assert Schedule.objects.get(record=record).retain_until == dt.date(2031, 3, 1)
    assert Event.objects.filter(verb="retention.shorten").exists()


def test_a_fault_in_a_derived_refresh_does_not_undo_the_change_it_follows(db, monkeypatch):
    from authz.roles import Role
    from evidence.services import classify_record
    from tests.factories import UserFactory

    owner = agency("lushan_finance")
    record = clip(owner)
    person = UserFactory(agency=owner, roles=(Role.ARCHIVIST,))

    def broken(ids):
        raise RuntimeError("bug in a receiver")

    monkeypatch.setattr(services, "refresh", broken)
    classify_record(record, {"party": "某公司"}, actor=person)
    record.refresh_from_db()
    assert record.party == "某公司"
    assert Event.objects.filter(verb="record.classify", object_id=str(record.pk)).exists()
