"""Sampling checks and annual reviews of recordings (000/2/17, 001/3/16, 004/22).

A round is committed before it is drawn: the ledger holds the seed's SHA-256 and the digest of the records it samples
from, so nobody can pick the sample after seeing the records; at the draw the seed is revealed and anyone re-runs
``lawtrace_verify.draw.sample`` on the published population to get the same records. Reviewers then score the pack's
checklist (as it stood when the round opened) for every sampled record.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop
from lawtrace_verify import draw as algorithm

from authz.capabilities import can
from evidence.queries import visible_records
from ledger.events import SYSTEM, RequestContext, record_event
from ledger.wording import Wording, Words
from org.models import Unit, User
from policy import current
from supervision.models import RecordReview, ReviewRound
from supervision.refusals import refuse

MAX_SCORE = 10  # per check; the regulations set no scale, so full marks mean "no shortfall found"


@dataclass
class RoundRequest:
    kind: str
    title: str
    period_start: dt.date
    period_end: dt.date
    reviewers: list[User]
    units: list[Unit] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    share: float | None = None
    count: int | None = None


CONDUCT_PREFIX = "conduct_"


def checklist(agency) -> list[dict]:
    """What reviewers score for each sampled record, as the round keeps it: the pack's supervision checks, then those
    of its rules for making a recording that only someone watching it can judge (opening statement, telling the
    party, what it must show; 000/2/8-11, 001/2/5-6, 004/19)."""
    pack = current.in_force(agency)
    checks = [{"id": c.id, "label": c.label, "cite": "、".join(c.cite)}
              for c in (pack.supervision.checks if pack.supervision else [])]
    checks += [{"id": f"{CONDUCT_PREFIX}{c.id}", "label": c.label, "cite": "、".join(c.cite)}
               for c in (pack.recording.conduct if pack.recording else []) if c.playback_check]
    return checks


def default_share(agency) -> float | None:
    pack = current.in_force(agency)
    return pack.supervision.sampling_share if pack.supervision else None


def population(agency, actor: User, wanted: RoundRequest) -> list[str]:
    """Ids of the records the round samples from: the opener's view of the agency's records (the one choke point),
    recorded in the period, in the units and categories chosen, with their content still kept."""
    start = timezone.make_aware(dt.datetime.combine(wanted.period_start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(wanted.period_end + dt.timedelta(days=1), dt.time.min))
    records = (visible_records(actor).filter(agency=agency, purged_at__isnull=True)
               .annotate(made=Coalesce("recorded_start", "stored_at")).filter(made__gte=start, made__lt=end))
    if wanted.units:
        records = records.filter(unit__in=wanted.units)
    if wanted.categories:
        records = records.filter(Q(activity__category__in=wanted.categories) | Q(case__category__in=wanted.categories))
    return sorted(str(pk) for pk in records.values_list("pk", flat=True))


def _problem(agency, actor: User, wanted: RoundRequest) -> Words | None:
    pack = current.in_force(agency)
    if not can(actor, "review.open") or actor.agency_id != agency.pk:
        return gettext_lazy("Review rounds are opened by the supervisor or the head.")
    if pack.supervision is None:
        return gettext_lazy("The agency's rules set no supervision checks.")
    if wanted.kind not in ReviewRound.Kind.values:
        return gettext_lazy("Choose the kind of review.")
    if not wanted.title.strip():
        return gettext_lazy("Give the round a title.")
    if wanted.period_end < wanted.period_start:
        return gettext_lazy("The period ends before it starts.")
    if unknown := set(wanted.categories) - set(pack.agency.categories):
        return Wording(gettext_noop("Not an enforcement category of the agency: %(c)s."), c="、".join(sorted(unknown)))
    if any(u.agency_id != agency.pk for u in wanted.units):
        return gettext_lazy("Choose units of the agency.")
    if not wanted.reviewers:
        return gettext_lazy("Name at least one reviewer.")
    if any(r.agency_id != agency.pk or not can(r, "review.take_part") for r in wanted.reviewers):
        return gettext_lazy("Reviewers are supervisors, legal reviewers or heads of the agency.")
    if (wanted.share is None) == (wanted.count is None):
        return gettext_lazy("Give either a share or a number of records to sample.")
    if wanted.share is not None and not 0 < wanted.share <= 1:
        return gettext_lazy("The share is more than 0 % and at most 100 %.")
    if wanted.count is not None and wanted.count < 1:
        return gettext_lazy("Sample at least one record.")
    return None


def open_round(agency, wanted: RoundRequest, *, actor: User, context: RequestContext = SYSTEM) -> ReviewRound:
    """Commit a round: the population and the seed's hash go into the ledger before anyone sees the sample."""
    if wanted.share is None and wanted.count is None:
        wanted.share = default_share(agency)
    problem = _problem(agency, actor, wanted)
    pool = population(agency, actor, wanted) if problem is None else []
    if problem is None and not pool:
        problem = gettext_lazy("No records were made in that period, units and categories.")
    if problem is not None:
        refuse("review.commit", problem, actor=actor, context=context)
    size = min(len(pool), wanted.count if wanted.count is not None else math.ceil(wanted.share * len(pool)))
    seed = secrets.token_hex(32)
    with transaction.atomic():
        made = ReviewRound.objects.create(
            agency=agency, kind=wanted.kind, title=wanted.title.strip(), period_start=wanted.period_start,
            period_end=wanted.period_end, categories=sorted(wanted.categories), share=wanted.share,
            requested=wanted.count, sample_size=size, checks=checklist(agency), seed=seed,
            seed_hash=algorithm.seed_hash(seed), population=pool, population_digest=algorithm.digest(pool),
            opened_by=actor, opened_at=timezone.now())
        made.units.set(wanted.units)
        made.reviewers.set(wanted.reviewers)
        record_event("review.commit", actor=actor, obj=made, context=context, after={
            "seed_hash": made.seed_hash, "population_digest": made.population_digest, "population": len(pool),
            "sample_size": size, "kind": made.kind, "period": [str(made.period_start), str(made.period_end)],
            "reviewers": sorted(r.pk for r in wanted.reviewers), "checks": [c["id"] for c in made.checks]})
    return made


def draw_sample(made: ReviewRound, *, actor: User, context: RequestContext = SYSTEM) -> ReviewRound:
    """Reveal the seed and draw the sample from the committed population."""
    with transaction.atomic():
        locked = ReviewRound.objects.select_for_update().get(pk=made.pk)
        problem: Words | None = None
        if not can(actor, "review.open") or actor.agency_id != locked.agency_id:
            problem = gettext_lazy("Review rounds are opened by the supervisor or the head.")
        elif locked.state != ReviewRound.State.COMMITTED:
            problem = gettext_lazy("This sample was already drawn.")
        if problem is None:
            locked.sample = algorithm.sample(locked.seed, locked.population, locked.sample_size)
            locked.state, locked.drawn_at = ReviewRound.State.REVIEWING, timezone.now()
            locked.save(update_fields=["sample", "state", "drawn_at"])
            locked.sampled.set([int(pk) for pk in locked.sample])
            record_event("review.draw", actor=actor, obj=locked, context=context,
                         after={"seed": locked.seed, "sample": locked.sample})
            return locked
    refuse("review.draw", problem, actor=actor, obj=made, context=context)


def _score_problem(made: ReviewRound, scores: dict, comments: dict) -> Words | None:
    for check in made.checks:
        score = scores.get(check["id"])
        if not isinstance(score, int) or not 0 <= score <= MAX_SCORE:
            return Wording(gettext_noop("Score “%(check)s” from 0 to %(max)d."), check=check["label"], max=MAX_SCORE)
        if score < MAX_SCORE and not comments.get(check["id"], "").strip():
            return Wording(gettext_noop("Say why marks were taken off for “%(check)s”."), check=check["label"])
    if set(scores) - {c["id"] for c in made.checks}:
        return gettext_lazy("Score only the checks of this round.")
    return None


def record_review(made: ReviewRound, record_id: int, *, reviewer: User, scores: dict[str, int],
                  comments: dict[str, str], remarks: str = "", context: RequestContext = SYSTEM) -> RecordReview:
    """Score one sampled record; a reviewer may correct their scores until the round is closed (both versions
    stay in the ledger)."""
    record = visible_records(reviewer).filter(pk=record_id).first()
    problem: Words | None = None
    if made.state != ReviewRound.State.REVIEWING:
        problem = gettext_lazy("Only a drawn, open round takes reviews.")
    elif not made.reviewers.filter(pk=reviewer.pk).exists():
        problem = gettext_lazy("You are not a reviewer of this round.")
    elif str(record_id) not in made.sample or record is None:
        problem = gettext_lazy("That record is not in the sample.")
    elif record.officer_id == reviewer.pk:
        problem = gettext_lazy("Nobody reviews their own recording.")
    else:
        problem = _score_problem(made, scores, comments)
    if problem is not None:
        refuse("review.record", problem, actor=reviewer, obj=made, context=context)
    kept = {k: v.strip() for k, v in comments.items() if v.strip()}
    percent = round(100 * sum(scores.values()) / (MAX_SCORE * len(made.checks)), 1) if made.checks else 100.0
    with transaction.atomic():
        review = RecordReview.objects.select_for_update().filter(round=made, record_id=record_id).first()
        before = None if review is None else {"scores": review.scores, "comments": review.comments,
                                              "reviewer": review.reviewer_id}
        if review is None:
            review = RecordReview(round=made, record_id=record_id, officer_id=record.officer_id)
        review.reviewer, review.scores, review.comments, review.remarks = reviewer, scores, kept, remarks.strip()
        review.percent, review.reviewed_at = percent, timezone.now()
        review.save()
        record_event("review.record", actor=reviewer, obj=made, context=context, before=before,
                     after={"record": record_id, "scores": scores, "comments": kept, "percent": percent})
    return review


def close_round(made: ReviewRound, *, actor: User, conclusion: str, context: RequestContext = SYSTEM) -> ReviewRound:
    problem: Words | None = None
    pending = len(made.sample or []) - made.reviews.count()
    if not can(actor, "review.open") or actor.agency_id != made.agency_id:
        problem = gettext_lazy("Review rounds are opened by the supervisor or the head.")
    elif made.state != ReviewRound.State.REVIEWING:
        problem = gettext_lazy("Only a drawn, open round can be closed.")
    elif pending:
        problem = Wording(gettext_noop("%(n)d sampled records are not reviewed yet."), n=pending)
    elif not conclusion.strip():
        problem = gettext_lazy("Write the conclusion of the round.")
    if problem is not None:
        refuse("review.close", problem, actor=actor, obj=made, context=context)
    with transaction.atomic():
        made.state, made.closed_at, made.conclusion = ReviewRound.State.CLOSED, timezone.now(), conclusion.strip()
        made.save(update_fields=["state", "closed_at", "conclusion"])
        record_event("review.close", actor=actor, obj=made, context=context,
                     after={"conclusion": made.conclusion, "reviews": made.reviews.count()})
    return made


def cancel_round(made: ReviewRound, *, actor: User, reason: str, context: RequestContext = SYSTEM) -> ReviewRound:
    """Withdraw a round opened in error. It stays listed with its reason, its seed is published so the commitment can
    still be checked, and its reviews no longer count: a round cannot be quietly dropped and redrawn."""
    problem: Words | None = None
    if not can(actor, "review.open") or actor.agency_id != made.agency_id:
        problem = gettext_lazy("Review rounds are opened by the supervisor or the head.")
    elif made.state not in (ReviewRound.State.COMMITTED, ReviewRound.State.REVIEWING):
        problem = gettext_lazy("Only a round not yet closed can be cancelled.")
    elif not reason.strip():
        problem = gettext_lazy("Say why the round is cancelled.")
    if problem is not None:
        refuse("review.cancel", problem, actor=actor, obj=made, context=context)
    with transaction.atomic():
        before = made.state
        made.state, made.cancelled_at, made.cancelled_by = ReviewRound.State.CANCELLED, timezone.now(), actor
        made.cancel_reason = reason.strip()
        made.save(update_fields=["state", "cancelled_at", "cancelled_by", "cancel_reason"])
        record_event("review.cancel", actor=actor, obj=made, context=context, before={"state": before},
                     after={"state": made.state, "reason": made.cancel_reason, "seed": made.seed,
                            "reviews": made.reviews.count()})
    return made


def sample_record(made: ReviewRound) -> dict:
    """The published sample, for ``lawtrace-verify sample.json`` on any machine."""
    return {"format": algorithm.SAMPLE_FORMAT, "round": made.pk, "title": made.title, "seed": made.seed,
            "seed_hash": made.seed_hash, "population_digest": made.population_digest, "population": made.population,
            "count": made.sample_size, "sample": made.sample}


def check(made: ReviewRound) -> bool:
    """Whether the revealed seed matches its commitment and re-running gives the recorded sample."""
    return made.sample is not None and not algorithm.verify_sample_record(sample_record(made))
