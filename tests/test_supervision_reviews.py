"""Sampling checks and annual reviews (000/2/17): a committed, re-runnable sample; the pack's checklist scored per
record; the check ledger, the annual review and the personal assessment."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from lawtrace_verify import draw as algorithm
from lawtrace_verify.cli import main as verify_main

from evidence.queries import visible_records
from evidence.services import record_view
from ledger.models import Event
from supervision import reviews
from supervision.refusals import Refused
from tests.supervision_world import FIRST_DAY, build

LAST_DAY = FIRST_DAY + dt.timedelta(days=30)


def _open(world, *, share=None, count=None, kind="sampling", reviewers=None, **extra):
    wanted = reviews.RoundRequest(kind=kind, title="2026年第三季度音像记录抽查", period_start=FIRST_DAY,
                                  period_end=LAST_DAY, reviewers=reviewers or [world.supervisor], share=share,
                                  count=count, **extra)
    return reviews.open_round(world.agency, wanted, actor=world.supervisor)


def _full(made) -> dict[str, int]:
    return {c["id"]: reviews.MAX_SCORE for c in made.checks}


@pytest.fixture
def pingdingshan(db):
    return build("pingdingshan_emergency")


@pytest.fixture
def xinzhou(db):
    return build("xinzhou_finance")


def test_001_3_16_the_sample_is_committed_before_it_is_drawn_and_re_runs(pingdingshan, tmp_path):
    made = _open(pingdingshan, share=0.25)
    committed = Event.objects.get(verb="review.commit")
    assert committed.after["seed_hash"] == made.seed_hash == algorithm.seed_hash(made.seed)
    assert committed.after["population_digest"] == algorithm.digest(made.population)
    assert committed.after["population"] == 20 and made.sample_size == 5 and made.sample is None

    drawn = reviews.draw_sample(made, actor=pingdingshan.supervisor)
    revealed = Event.objects.get(verb="review.draw")
    assert revealed.seq > committed.seq and revealed.after["seed"] == made.seed
    assert algorithm.sample(revealed.after["seed"], made.population, 5) == drawn.sample == revealed.after["sample"]
    assert reviews.check(drawn)
    with pytest.raises(Refused):
        reviews.draw_sample(drawn, actor=pingdingshan.supervisor)

    published = tmp_path / "sample.json"
    published.write_text(json.dumps(reviews.sample_record(drawn)), encoding="utf-8")
    assert verify_main([str(published)]) == 0
    forged = reviews.sample_record(drawn)
    forged["sample"] = sorted(set(forged["population"]) - set(forged["sample"]))[:5]
    published.write_text(json.dumps(forged), encoding="utf-8")
    assert verify_main([str(published)]) == 1


def test_001_3_16_the_round_scores_the_packs_three_checks_and_the_recording_rules_seen_on_playback(pingdingshan):
    made = _open(pingdingshan, count=3)
    assert [c["id"] for c in made.checks] == [
        "recorded_where_required", "uninterrupted", "handed_over_stored_used",
        "conduct_content", "conduct_opening_statement", "conduct_notify_party"]
    assert all(c["cite"].startswith("001/3/16") for c in made.checks[:3])
    assert [c["cite"] for c in made.checks[3:]] == ["001/2/5", "001/2/6", "001/2/6"]


def test_001_3_16_the_population_is_the_period_units_and_categories(pingdingshan):
    world = pingdingshan
    wanted = reviews.RoundRequest(kind="sampling", title="七月上旬", period_start=FIRST_DAY,
                                  period_end=FIRST_DAY + dt.timedelta(days=4), reviewers=[world.supervisor], count=2)
    assert len(reviews.population(world.agency, world.supervisor, wanted)) == 5
    with pytest.raises(Refused, match="没有|No records"):
        reviews.open_round(world.agency, reviews.RoundRequest(
            kind="sampling", title="空", period_start=dt.date(2020, 1, 1), period_end=dt.date(2020, 1, 2),
            reviewers=[world.supervisor], count=1), actor=world.supervisor)
    assert Event.objects.filter(verb="review.commit", result="denied").exists()


@pytest.mark.parametrize("change, message", [
    ({"share": 0.5, "count": 3}, "either|或"),
    ({"share": 1.5}, "100"),
    ({"count": 0}, "at least|至少"),
])
def test_001_3_16_a_round_needs_one_valid_size(pingdingshan, change, message):
    with pytest.raises(Refused, match=message):
        _open(pingdingshan, **change)


def test_001_3_16_reviewers_are_supervision_staff_and_officers_cannot_open(pingdingshan):
    world = pingdingshan
    with pytest.raises(Refused):
        _open(world, count=2, reviewers=[world.officers[0]])
    with pytest.raises(Refused):
        reviews.open_round(world.agency, reviews.RoundRequest(
            kind="sampling", title="t", period_start=FIRST_DAY, period_end=LAST_DAY, reviewers=[world.supervisor],
            count=2), actor=world.officers[0])


def test_004_22_reviewers_score_conduct_and_playback_and_say_why_marks_were_lost(xinzhou):
    world = xinzhou
    made = reviews.draw_sample(_open(world, count=4, reviewers=[world.supervisor, world.second_reviewer]),
                               actor=world.supervisor)
    # 004/19's telling the party is judged on playback; 004/4-6's two forms of record is not.
    assert [c["id"] for c in made.checks] == ["conduct_and_civility", "playback_checks", "conduct_notify_party"]
    first = int(made.sample[0])
    scores = {"conduct_and_civility": 6, "playback_checks": 10, "conduct_notify_party": 10}
    with pytest.raises(Refused, match="why|理由|扣分"):
        reviews.record_review(made, first, reviewer=world.supervisor, scores=scores, comments={})
    assert Event.objects.filter(verb="review.record", result="denied").count() == 1
    with pytest.raises(Refused):
        reviews.record_review(made, first, reviewer=world.supervisor, scores={"conduct_and_civility": 11,
                                                                              "playback_checks": 10}, comments={})
    review = reviews.record_review(made, first, reviewer=world.supervisor, scores=scores,
                                   comments={"conduct_and_civility": "未着制服"}, remarks="其余规范")
    made_by = next(r.officer_id for r in world.records if r.pk == first)
    assert review.percent == 86.7 and review.officer_id == made_by  # 26 of 30
    corrected = reviews.record_review(made, first, reviewer=world.second_reviewer, scores=_full(made), comments={})
    assert corrected.pk == review.pk and corrected.percent == 100.0
    change = Event.objects.filter(verb="review.record", result="done").order_by("-seq").first()
    assert change.before["scores"] == scores and change.after["percent"] == 100.0

    outside = next(r for r in world.records if str(r.pk) not in made.sample)
    with pytest.raises(Refused, match="sample|抽"):
        reviews.record_review(made, outside.pk, reviewer=world.supervisor, scores=_full(made), comments={})
    with pytest.raises(Refused, match="reviewer|评查人"):
        reviews.record_review(made, first, reviewer=world.head, scores=_full(made), comments={})


def test_004_22_nobody_reviews_their_own_recording(xinzhou):
    world = xinzhou
    reviewer = world.officers[0]
    from org.services import grant_role

    grant_role(reviewer, "supervisor")
    made = reviews.draw_sample(_open(world, share=1.0, reviewers=[reviewer]), actor=world.supervisor)
    own = next(r for r in world.records if r.officer_id == reviewer.pk)
    with pytest.raises(Refused, match="own|本人"):
        reviews.record_review(made, own.pk, reviewer=reviewer, scores=_full(made), comments={})


def test_004_22_reviewers_play_the_sample_while_the_round_is_open_and_the_register_says_why(xinzhou):
    from access.register import register_events, rows

    world = xinzhou
    made = reviews.draw_sample(_open(world, count=2), actor=world.supervisor)
    playable = set(visible_records(world.supervisor, "play").values_list("pk", flat=True))
    assert playable == {int(pk) for pk in made.sample}
    record = visible_records(world.supervisor, "play").first()
    record_view(record, actor=world.supervisor, basis={"review": made.pk})
    register = rows(register_events(world.agency.code, None, None))
    assert register[0].approver.endswith(made.title)

    for pk in made.sample:
        reviews.record_review(made, int(pk), reviewer=world.supervisor, scores=_full(made), comments={})
    reviews.close_round(made, actor=world.supervisor, conclusion="总体规范")
    assert not visible_records(world.supervisor, "play").exists()


def test_000_2_17_a_round_closes_only_when_every_sampled_record_is_reviewed(db):
    world = build("lushan_finance")
    made = reviews.draw_sample(_open(world, count=2, kind="annual"), actor=world.supervisor)
    first, second = (int(pk) for pk in made.sample)
    reviews.record_review(made, first, reviewer=world.supervisor, scores=_full(made), comments={})
    with pytest.raises(Refused, match="1"):
        reviews.close_round(made, actor=world.supervisor, conclusion="结论")
    reviews.record_review(made, second, reviewer=world.supervisor, scores=_full(made), comments={})
    with pytest.raises(Refused):
        reviews.close_round(made, actor=world.supervisor, conclusion=" ")
    closed = reviews.close_round(made, actor=world.supervisor, conclusion="本年度评查合格")
    assert closed.state == "closed" and Event.objects.filter(verb="review.close", result="done").exists()
    with pytest.raises(Refused):
        reviews.record_review(made, first, reviewer=world.supervisor, scores=_full(made), comments={})


def test_000_2_17_a_cancelled_round_stays_listed_publishes_its_seed_and_no_longer_counts(db):
    from django.utils import timezone

    from supervision import reports
    from supervision.queries import annual_reviews_missing, visible_rounds

    world = build("lushan_finance", records=4)
    made = reviews.draw_sample(_open(world, count=2, kind="annual"), actor=world.supervisor)
    scored = int(made.sample[0])
    reviews.record_review(made, scored, reviewer=world.supervisor, scores={**_full(made), made.checks[0]["id"]: 4},
                          comments={made.checks[0]["id"]: "中断未说明"})
    assert annual_reviews_missing(world.supervisor, world.agency) is None

    with pytest.raises(Refused):
        reviews.cancel_round(made, actor=world.officers[0], reason="误开")
    with pytest.raises(Refused, match="why|原因"):
        reviews.cancel_round(made, actor=world.supervisor, reason="  ")
    cancelled = reviews.cancel_round(made, actor=world.supervisor, reason="期间选错，重新组织")
    event = Event.objects.get(verb="review.cancel", result="done")
    assert event.after == {"state": "cancelled", "reason": "期间选错，重新组织", "seed": made.seed, "reviews": 1}
    assert Event.objects.filter(verb="review.cancel", result="denied").count() == 2

    assert visible_rounds(world.supervisor).filter(pk=made.pk, state="cancelled").exists()
    assert not visible_records(world.supervisor, "play").filter(pk=scored).exists()
    for refused in (lambda: reviews.record_review(cancelled, scored, reviewer=world.supervisor,
                                                  scores=_full(made), comments={}),
                    lambda: reviews.close_round(cancelled, actor=world.supervisor, conclusion="结论"),
                    lambda: reviews.cancel_round(cancelled, actor=world.supervisor, reason="再次")):
        with pytest.raises(Refused):
            refused()

    report = reports.build(world.head, world.agency, reports.Period(timezone.localdate().year))
    assert report.annual_held == 0 and [r["counts"] for r in report.rounds] == [False]
    assert all(p.reviewed == 0 for p in report.people) and report.checks == []
    assert annual_reviews_missing(world.supervisor, world.agency)[:2] == (1, 0)


def test_000_2_9_a_recording_that_did_not_tell_the_party_loses_marks_in_the_annual_review(db):
    world = build("lushan_finance", records=4)
    made = reviews.draw_sample(_open(world, count=2, kind="annual"), actor=world.supervisor)
    labels = {c["id"]: c["cite"] for c in made.checks}
    assert labels["conduct_opening_statement"] == "000/2/8" and labels["conduct_notify_party"] == "000/2/9"
    assert labels["conduct_content"] == "000/2/10" and labels["device_use_checks"] == "000/2/17"
    scores = {**_full(made), "conduct_notify_party": 0}
    with pytest.raises(Refused):
        reviews.record_review(made, int(made.sample[0]), reviewer=world.supervisor, scores=scores, comments={})
    review = reviews.record_review(made, int(made.sample[0]), reviewer=world.supervisor, scores=scores,
                                   comments={"conduct_notify_party": "未事先告知当事人正在录像"})
    assert review.percent < 100 and review.comments["conduct_notify_party"].startswith("未事先告知")
    from django.test import Client

    client = Client()
    client.force_login(world.supervisor)
    history = client.get(f"/supervision/reviews/{made.pk}/").content.decode()
    history = history[history.index('id="history"'):].replace("</span>", "")
    assert "事先告知当事人使用音像记录设备，按统一执法行为用语规范文明记录：0" in history
    assert "conduct_" not in history and "随机种子：" in history
    refused = history[history.index("评查记录（已拒绝）"):]
    assert "理由：" in refused[:600]  # the refusal says why: marks were lost without a reason
