"""Accountability (000/2/18, 001/3/17-18, 004/24): the pack's misconduct list and sanctions, decided by the head, seen
by the officer concerned; and the personal assessment that rolls reviews, findings and sanctions up (004/23,
001/3/16)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ledger.models import Event
from supervision import accountability, reports, reviews
from supervision.queries import visible_misconduct
from supervision.refusals import Refused
from tests.factories import officer
from tests.supervision_world import FIRST_DAY, build


def _case(world, officer, misconduct, **extra):
    return accountability.open_case(world.agency, officer=officer, misconduct=misconduct, facts="经抽查发现",
                                    actor=world.supervisor, **extra)


def test_000_2_18_not_recording_is_met_with_criticism_and_education(db):
    world = build("lushan_finance", records=0)
    case = _case(world, world.officers[0], "not_recording")
    assert case.misconduct_cite == "000/2/18/(一)" and case.state == "open"
    decided = accountability.decide_case(case, actor=world.head, sanctions=["criticism_education"],
                                         decision="予以批评教育", decided_on=timezone.localdate())
    assert decided.state == "decided" and decided.sanction_labels() == "批评教育"
    assert decided.sanctions[0]["cite"] == "000/2/18"
    assert Event.objects.filter(verb="misconduct.decide", result="done").get().after["sanctions"] == [
        "criticism_education"]


def test_000_1_12_a_breach_of_the_access_rules_is_on_the_list(db):
    world = build("lushan_finance", records=0)
    case = _case(world, world.officers[1], "access_rule_breach")
    accountability.decide_case(case, actor=world.head, sanctions=["notice_of_criticism"], decision="通报批评",
                               decided_on=timezone.localdate())
    case.refresh_from_db()
    assert case.misconduct_cite == "000/1/12" and case.sanctions[0]["cite"] == "000/1/12"


def test_001_3_18_suspension_for_six_months_and_loss_of_awards(db):
    world = build("pingdingshan_emergency", records=0)
    case = _case(world, world.officers[0], "deleting_evidence")
    decided = accountability.decide_case(case, actor=world.head,
                                         sanctions=["suspension_six_months", "loss_of_awards"],
                                         decision="故意删除有效证据", decided_on=timezone.localdate())
    assert [s["label"] for s in decided.sanctions] == ["停止执法工作半年", "取消当年评优评先资格"]
    assert {s["cite"] for s in decided.sanctions} == {"001/3/18/(三)", "001/3/18/(四)"}


def test_004_24_warning_demerit_and_major_demerit(db):
    world = build("xinzhou_finance", records=0)
    for sanction, label in (("warning", "警告"), ("demerit", "记过"), ("major_demerit", "记大过")):
        case = _case(world, world.officers[0], "tampering")
        decided = accountability.decide_case(case, actor=world.head, sanctions=[sanction], decision=label,
                                             decided_on=timezone.localdate())
        assert decided.sanction_labels() == label


def test_004_24_refusals_are_events(db):
    world = build("xinzhou_finance", records=0)
    with pytest.raises(Refused):
        _case(world, world.officers[0], "sleeping_on_duty")  # not on the pack's list
    with pytest.raises(Refused):
        accountability.open_case(world.agency, officer=world.officers[1], misconduct="tampering", facts="x",
                                 actor=world.officers[0])
    case = _case(world, world.officers[0], "tampering")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    for kwargs in ({"sanctions": ["public_flogging"]}, {"sanctions": []}, {"sanctions": ["warning"], "dismiss": True},
                   {"sanctions": ["warning"], "decided_on": tomorrow}):
        kwargs = {"decision": "决定", "decided_on": timezone.localdate(), **kwargs}
        with pytest.raises(Refused):
            accountability.decide_case(case, actor=world.head, **kwargs)
    with pytest.raises(Refused):  # the supervisor opens, the head decides
        accountability.decide_case(case, actor=world.supervisor, sanctions=["warning"], decision="d",
                                   decided_on=timezone.localdate())
    on_head = accountability.open_case(world.agency, officer=world.head, misconduct="other", facts="x",
                                       actor=world.supervisor)
    with pytest.raises(Refused, match="themselves|本人"):
        accountability.decide_case(on_head, actor=world.head, sanctions=["warning"], decision="d",
                                   decided_on=timezone.localdate())
    assert Event.objects.filter(verb__startswith="misconduct.", result="denied").count() == 8
    dismissed = accountability.decide_case(case, actor=world.head, sanctions=[], dismiss=True,
                                           decision="查无实据", decided_on=timezone.localdate())
    assert dismissed.state == "dismissed" and dismissed.sanctions == []


def test_004_24_an_officer_sees_their_own_cases_only(db):
    world = build("xinzhou_finance", records=0)
    mine = _case(world, world.officers[0], "tampering")
    _case(world, world.officers[1], "tampering")
    assert list(visible_misconduct(world.officers[0])) == [mine]
    assert visible_misconduct(world.supervisor).count() == visible_misconduct(world.head).count() == 2
    assert not visible_misconduct(world.second_reviewer).exists()


def test_004_23_personal_assessment_rolls_up_scores_findings_and_sanctions(db):
    world = build("xinzhou_finance", records=6)
    unsampled = officer(world.agency, full_name="执法员9", staff_number="ZF009")
    made = reviews.draw_sample(reviews.open_round(world.agency, reviews.RoundRequest(
        kind="sampling", title="回放检查", period_start=FIRST_DAY, period_end=FIRST_DAY + dt.timedelta(days=10),
        reviewers=[world.supervisor], share=1.0), actor=world.supervisor), actor=world.supervisor)
    for pk in made.sample:
        record = next(r for r in world.records if r.pk == int(pk))
        short = record.officer_id == world.officers[0].pk
        reviews.record_review(made, record.pk, reviewer=world.supervisor,
                              scores={"conduct_and_civility": 5 if short else 10, "playback_checks": 10,
                                      "conduct_notify_party": 10},
                              comments={"conduct_and_civility": "言语不文明"} if short else {})
    review = made.reviews.filter(officer=world.officers[0]).first()
    case = _case(world, world.officers[0], "other", review=review)
    accountability.decide_case(case, actor=world.head, sanctions=["criticism_education"], decision="批评教育",
                               decided_on=timezone.localdate())

    report = reports.build(world.head, world.agency, reports.Period(timezone.localdate().year))
    people = {p.officer.pk: p for p in report.people}
    first, second = people[world.officers[0].pk], people[world.officers[1].pk]
    assert (first.reviewed, first.average, first.short) == (2, 83.3, 2)  # 25 of 30 on each
    assert first.sanctions == "情节轻微的，予以批评教育" and len(first.cases) == 1
    assert (second.reviewed, second.average, second.short, second.cases) == (2, 100.0, 0, [])
    nobody = people[unsampled.pk]  # qualified but never sampled: listed with nothing, not left out
    assert (nobody.reviewed, nobody.average, nobody.findings, nobody.cases) == (0, None, 0, [])
    conduct = next(c for c in report.checks if c["id"] == "conduct_and_civility")
    assert conduct["shortfalls"] == 2 and conduct["average"] == round(100 * 50 / 60, 1)
    assert report.misconduct == [("其他违反执法记录管理规定的行为", 1)]


def test_000_2_17_the_report_counts_the_annual_reviews_the_pack_requires(db):
    world = build("lushan_finance", records=3)
    year = reports.Period(timezone.localdate().year)
    assert reports.build(world.head, world.agency, year).annual_held == 0
    reviews.open_round(world.agency, reviews.RoundRequest(
        kind="annual", title="年度评查", period_start=FIRST_DAY, period_end=FIRST_DAY + dt.timedelta(days=5),
        reviewers=[world.supervisor], count=1), actor=world.supervisor)
    report = reports.build(world.head, world.agency, year)
    assert (report.annual_required, report.annual_held, report.annual_cite) == (1, 1, "000/2/17")


@pytest.mark.parametrize("year, quarter, first, following", [
    ("2026", "", dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
    ("2026", "3", dt.date(2026, 7, 1), dt.date(2026, 10, 1)),
    ("2026", "4", dt.date(2026, 10, 1), dt.date(2027, 1, 1)),
])
def test_report_periods(year, quarter, first, following):
    period = reports.Period.parse(year, quarter)
    assert (period.first_day, period.next_first_day) == (first, following)


@pytest.mark.parametrize("year, quarter", [("26", ""), ("2026", "5"), ("abc", "1")])
def test_report_period_refuses_nonsense(year, quarter):
    with pytest.raises(ValueError):
        reports.Period.parse(year, quarter)


def test_001_3_17_lending_recordings_without_authority_is_a_misconduct(db):
    world = build("pingdingshan_emergency", records=0)
    case = _case(world, world.officers[2], "unauthorised_lending")
    assert case.misconduct_label == "擅自借阅或让无关人员查阅执法音像记录信息"
    assert case.misconduct_cite == "001/3/17/(二)"
    assert Event.objects.get(verb="misconduct.open").after["cite"] == "001/3/17/(二)"
