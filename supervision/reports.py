"""Quarterly and annual supervision reports (000/2/17, 001/3/16, 004/22-23): what was recorded, what the
compliance engine found, what the reviews scored, who was assessed how, the draws, the decisions and the sanctions —
every figure a query over the records the reader may see."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.queries import decision_summary
from compliance.queries import findings_opened, findings_per_officer
from evidence.queries import ingest_summary
from org.models import User
from org.services import qualified_officers
from policy.registry import registry
from supervision.models import Draw, MisconductCase, RecordReview, ReviewRound
from supervision.queries import counting_rounds, visible_misconduct, visible_rounds
from supervision.reviews import MAX_SCORE


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None  # None: the whole year

    @classmethod
    def parse(cls, year: str | None, quarter: str | None) -> Period:
        today = timezone.localdate()
        try:
            number = int(year) if year else today.year
            part = int(quarter) if quarter else None
        except ValueError as error:
            raise ValueError(_("Give the year as four digits and the quarter as 1 to 4.")) from error
        if not 2000 <= number <= 2100 or part not in (None, 1, 2, 3, 4):
            raise ValueError(_("Give the year as four digits and the quarter as 1 to 4."))
        return cls(number, part)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 1 + 3 * (self.quarter - 1) if self.quarter else 1, 1)

    @property
    def next_first_day(self) -> dt.date:
        if self.quarter in (None, 4):
            return dt.date(self.year + 1, 1, 1)
        return dt.date(self.year, 1 + 3 * self.quarter, 1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return (timezone.make_aware(dt.datetime.combine(self.first_day, dt.time.min)),
                timezone.make_aware(dt.datetime.combine(self.next_first_day, dt.time.min)))

    def __str__(self) -> str:
        if self.quarter:
            return _("%(year)d, quarter %(q)d") % {"year": self.year, "q": self.quarter}
        return _("%(year)d, whole year") % {"year": self.year}


@dataclass
class PersonRow:
    officer: User
    reviewed: int = 0
    percent_total: float = 0.0
    short: int = 0
    findings: int = 0
    cases: list[MisconductCase] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        return round(self.percent_total / self.reviewed, 1) if self.reviewed else None

    @property
    def sanctions(self) -> str:
        return "；".join(c.sanction_labels() for c in self.cases if c.sanctions)


@dataclass
class Report:
    agency: object
    period: Period
    recordings: dict
    findings: list[dict]
    rounds: list[dict]
    annual_required: int | None
    annual_cite: str
    annual_held: int
    checks: list[dict]
    people: list[PersonRow]
    draws: dict
    decisions: dict
    misconduct: list[tuple[str, int]]
    sanctions: list[tuple[str, int]]
    made_at: dt.datetime


def _rounds_and_checks(user: User, start, end) -> tuple[list[dict], list[dict], list[RecordReview]]:
    rounds = visible_rounds(user).filter(opened_at__gte=start, opened_at__lt=end).prefetch_related("reviews")
    rows = []
    for made in rounds:
        reviews = list(made.reviews.all())
        average = round(sum(r.percent for r in reviews) / len(reviews), 1) if reviews else None
        rows.append({"round": made, "sampled": len(made.sample or []), "population": len(made.population),
                     "reviewed": len(reviews), "average": average,
                     "counts": made.state != ReviewRound.State.CANCELLED})
    reviews = list(RecordReview.objects.filter(round__in=counting_rounds(user), reviewed_at__gte=start,
                                               reviewed_at__lt=end).select_related("round"))
    labels, totals, counts, shortfalls = {}, defaultdict(int), Counter(), Counter()
    for review in reviews:
        for check in review.round.checks:
            labels[check["id"]] = check
            if check["id"] in review.scores:
                totals[check["id"]] += review.scores[check["id"]]
                counts[check["id"]] += 1
                shortfalls[check["id"]] += review.scores[check["id"]] < MAX_SCORE
    checks = [{"id": key, "label": check["label"], "cite": check["cite"], "reviewed": counts[key],
               "average": round(100 * totals[key] / (MAX_SCORE * counts[key]), 1) if counts[key] else None,
               "shortfalls": shortfalls[key]} for key, check in labels.items()]
    return rows, checks, reviews


def _people(user: User, agency, period: Period, reviews: list[RecordReview],
            cases: list[MisconductCase]) -> list[PersonRow]:
    start, end = period.bounds()
    findings = findings_per_officer(user, start, end)
    # Every officer qualified at the period's end is assessed, so one nobody sampled shows as such, not as absent.
    as_of = min(period.next_first_day - dt.timedelta(days=1), timezone.localdate())
    ids = {r.officer_id for r in reviews if r.officer_id} | set(findings) | {c.officer_id for c in cases} \
        | {officer.pk for officer in qualified_officers(agency, as_of)}
    people = {u.pk: PersonRow(u) for u in User.objects.filter(pk__in=ids).select_related("unit")}
    for review in reviews:
        if review.officer_id in people:
            row = people[review.officer_id]
            row.reviewed += 1
            row.percent_total += review.percent
            row.short += review.percent < 100
    for officer, count in findings.items():
        if officer in people:
            people[officer].findings = count
    for case in cases:
        people[case.officer_id].cases.append(case)
    return sorted(people.values(), key=lambda p: (p.officer.unit.name if p.officer.unit else "", p.officer.full_name,
                                                  p.officer.username))


def build(user: User, agency, period: Period) -> Report:
    start, end = period.bounds()
    pack = registry().in_force(agency.pack_code)
    rounds, checks, reviews = _rounds_and_checks(user, start, end)
    opened = list(visible_misconduct(user).filter(opened_at__gte=start, opened_at__lt=end))
    decided = list(visible_misconduct(user).filter(state=MisconductCase.State.DECIDED, decided_on__gte=period.first_day,
                                                   decided_on__lt=period.next_first_day))
    draws = Draw.objects.restrict(user).filter(state=Draw.State.DRAWN, drawn_at__gte=start, drawn_at__lt=end)
    supervision = pack.supervision
    return Report(
        agency=agency, period=period, recordings=ingest_summary(user, start, end),
        findings=findings_opened(user, start, end), rounds=rounds,
        annual_required=supervision.annual_review_at_least if supervision else None,
        annual_cite="、".join(supervision.annual_review_cite or []) if supervision else "",
        annual_held=sum(1 for r in rounds if r["counts"] and r["round"].kind == ReviewRound.Kind.ANNUAL), checks=checks,
        people=_people(user, agency, period, reviews, decided),
        draws={"count": draws.count(), "targets": sum(len(d.result["targets"]) for d in draws)},
        decisions=decision_summary(user, start, end),
        misconduct=Counter(c.misconduct_label for c in opened).most_common(),
        sanctions=Counter(s["label"] for c in decided for s in c.sanctions).most_common(),
        made_at=timezone.now())
