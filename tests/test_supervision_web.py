"""The supervision pages: a review round from opening to the printed check ledger, misconduct cases, conflicts and
the quarterly report in three formats."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from types import SimpleNamespace

from django.urls import reverse
from django.utils import timezone

from ledger.models import Event
from supervision import accountability
from supervision.models import Conflict, InspectionTarget, MisconductCase, ReviewRound
from tests.supervision_world import FIRST_DAY, build


def test_004_22_a_round_through_the_pages(db, client):
    world = build("xinzhou_finance", records=8)
    client.force_login(world.supervisor)
    page = client.get(reverse("review_list"))
    assert page.status_code == 200 and "reviewers" in page.context["form"].fields
    refused = client.post(reverse("review_list"), {
        "kind": "sampling", "title": "回放检查", "period_start": "2026-07-01", "period_end": "2026-06-01",
        "reviewers": [world.supervisor.pk], "count": "2"})
    assert refused.status_code == 200 and refused.context["form"].non_field_errors()
    assert not ReviewRound.objects.exists()
    opened = client.post(reverse("review_list"), {
        "kind": "sampling", "title": "回放检查", "period_start": "2026-07-01", "period_end": "2026-07-31",
        "reviewers": [world.supervisor.pk], "share_percent": "50"})
    made = ReviewRound.objects.get()
    assert opened.url == reverse("review_round", args=[made.pk]) and made.sample_size == 4
    client.post(reverse("review_draw", args=[made.pk]))
    made.refresh_from_db()
    assert made.state == "reviewing" and len(made.sample) == 4
    detail = client.get(reverse("review_round", args=[made.pk]))
    assert len(detail.context["rows"]) == 4 and detail.context["verified"]

    for number, pk in enumerate(made.sample):
        url = reverse("record_review", args=[made.pk, pk])
        assert client.get(url).status_code == 200
        short = number == 0
        answer = client.post(url, {"score_conduct_and_civility": "7" if short else "10",
                                   "comment_conduct_and_civility": "执法用语不规范" if short else "",
                                   "score_playback_checks": "10", "score_conduct_notify_party": "10",
                                   "remarks": ""})
        assert answer.status_code == 302, answer.context["form"].errors if answer.context else answer
    assert made.reviews.count() == 4
    sample = client.get(reverse("review_sample", args=[made.pk]))
    assert json.loads(sample.content)["sample"] == made.sample
    client.post(reverse("review_close", args=[made.pk]), {"conclusion": "总体规范，个别用语需改进"})
    made.refresh_from_db()
    assert made.state == "closed"
    closed = client.get(reverse("review_round", args=[made.pk]))  # its events name "reviews", also a relation
    assert closed.status_code == 200 and "总体规范" in closed.content.decode()
    printed = client.get(reverse("review_print", args=[made.pk]))
    assert printed["Content-Type"] == "application/pdf" and printed.content.startswith(b"%PDF")


def test_000_2_17_a_round_cancelled_through_its_page_keeps_its_reason(db, client):
    world = build("lushan_finance", records=4)
    client.force_login(world.supervisor)
    client.post(reverse("review_list"), {
        "kind": "annual", "title": "年度评查", "period_start": "2026-07-01", "period_end": "2026-07-31",
        "reviewers": [world.supervisor.pk], "count": "2"})
    made = ReviewRound.objects.get()
    page = client.get(reverse("review_round", args=[made.pk]))
    assert reverse("review_cancel", args=[made.pk]) in page.content.decode()
    refused = client.post(reverse("review_cancel", args=[made.pk]), {"reason": ""}, follow=True)
    assert "原因" in refused.content.decode()
    made.refresh_from_db()
    assert made.state == "committed"
    done = client.post(reverse("review_cancel", args=[made.pk]), {"reason": "期间选错"}, follow=True)
    text = done.content.decode()
    made.refresh_from_db()
    assert made.state == "cancelled" and "期间选错" in text and made.seed in text
    assert reverse("review_cancel", args=[made.pk]) not in text


def test_004_22_only_reviewers_open_the_review_form(db, client):
    world = build("xinzhou_finance", records=4)
    client.force_login(world.supervisor)
    client.post(reverse("review_list"), {
        "kind": "sampling", "title": "抽检", "period_start": "2026-07-01", "period_end": "2026-07-31",
        "reviewers": [world.supervisor.pk], "count": "1"})
    made = ReviewRound.objects.get()
    client.post(reverse("review_draw", args=[made.pk]))
    made.refresh_from_db()
    client.force_login(world.head)
    assert client.get(reverse("record_review", args=[made.pk, made.sample[0]])).status_code == 403
    assert Event.objects.filter(verb="review.record", result="denied").exists()
    client.force_login(world.officers[0])
    assert client.get(reverse("review_round", args=[made.pk])).status_code == 404


def test_004_24_misconduct_through_the_pages_and_the_officer_sees_it(db, client):
    world = build("xinzhou_finance", records=0)
    client.force_login(world.supervisor)
    client.post(reverse("misconduct_list"), {"officer": world.officers[0].pk, "misconduct": "not_recording",
                                             "facts": "查处违法行为时未开启执法记录仪"})
    case = MisconductCase.objects.get()
    client.force_login(world.head)
    page = client.get(reverse("misconduct_detail", args=[case.pk]))
    assert page.context["form"] is not None
    client.post(reverse("misconduct_detail", args=[case.pk]), {
        "sanctions": ["warning"], "decision": "给予警告处分", "decided_on": timezone.localdate().isoformat()})
    case.refresh_from_db()
    assert case.state == "decided" and case.sanction_labels() == "警告"
    client.force_login(world.officers[0])
    mine = client.get(reverse("misconduct_list"))
    assert [c.pk for c in mine.context["page"]] == [case.pk] and mine.context["form"] is None
    assert client.get(reverse("misconduct_detail", args=[case.pk])).status_code == 200
    client.force_login(world.officers[1])
    assert client.get(reverse("misconduct_detail", args=[case.pk])).status_code == 404


def test_002_random_inspection_conflicts_declared_and_withdrawn_on_the_target_page(db, client):
    world = build("ruzhou_water", records=0)
    target = InspectionTarget.objects.create(agency=world.agency, name="汝州某砂场", credit_code="91410482MA0000001X")
    client.force_login(world.supervisor)
    url = reverse("inspection_target", args=[target.pk])
    client.post(url, {"officer": world.officers[0].pk, "reason": ""})
    assert not Conflict.objects.exists()
    client.post(url, {"officer": world.officers[0].pk, "reason": "近亲属在该企业任职"})
    conflict = Conflict.objects.get()
    assert client.get(url).context["conflicts"][0] == conflict
    client.post(url, {"withdraw": conflict.pk})
    assert not Conflict.objects.exists()
    verbs = list(Event.objects.filter(verb__startswith="conflict.").order_by("seq").values_list("verb", "result"))
    assert verbs == [("conflict.declare", "denied"), ("conflict.declare", "done"), ("conflict.withdraw", "done")]
    client.force_login(world.officers[1])
    client.post(url, {"officer": world.officers[0].pk, "reason": "x"})
    assert not Conflict.objects.exists()


def test_004_23_the_quarterly_report_on_screen_in_pdf_and_in_xlsx_with_charts(db, client):
    world = build("xinzhou_finance", records=4)
    client.force_login(world.supervisor)
    client.post(reverse("review_list"), {
        "kind": "sampling", "title": "季度抽检", "period_start": FIRST_DAY.isoformat(),
        "period_end": (FIRST_DAY + dt.timedelta(days=10)).isoformat(), "reviewers": [world.supervisor.pk],
        "share_percent": "100"})
    made = ReviewRound.objects.get()
    client.post(reverse("review_draw", args=[made.pk]))
    made.refresh_from_db()
    client.post(reverse("record_review", args=[made.pk, made.sample[0]]), {
        "score_conduct_and_civility": "10", "score_playback_checks": "4", "comment_playback_checks": "未建台账",
        "score_conduct_notify_party": "10"})
    accountability.open_case(world.agency, officer=world.officers[0], misconduct="not_recording", facts="未记录",
                             actor=world.supervisor)
    quarter = (timezone.localdate().month - 1) // 3 + 1
    url = reverse("supervision_report")
    page = client.get(url, {"year": timezone.localdate().year, "quarter": quarter})
    assert page.status_code == 200 and len(page.context["report"].rounds) == 1
    assert page.content.count(b"<svg") == 2  # scores per check and misconduct; no compliance finding yet
    assert page.context["report"].checks[1]["average"] == 40.0
    pdf = client.get(url, {"year": timezone.localdate().year, "quarter": quarter, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    workbook = client.get(url, {"year": timezone.localdate().year, "format": "xlsx"})
    names = zipfile.ZipFile(io.BytesIO(workbook.content)).namelist()
    assert any(n.startswith("xl/charts/chart") for n in names)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook.content))
    assert len(book.sheetnames) == 5
    assert Event.objects.filter(verb="report.export").count() == 2
    assert client.get(url, {"year": "26"}).status_code == 302
    client.force_login(world.officers[0])
    assert client.get(url).status_code == 403


def _dashboard_texts(client) -> list[str]:
    sections = client.get(reverse("dashboard")).context["sections"]
    return [row.text for _role, panels in sections for panel in panels for row in panel.rows]


def test_000_2_17_dashboards_remind_of_the_annual_review_and_list_the_work(db, client):
    world = build("lushan_finance", records=3)
    client.force_login(world.supervisor)
    texts = _dashboard_texts(client)
    assert any("000/2/17" in text for text in texts)
    client.post(reverse("review_list"), {
        "kind": "annual", "title": "年度评查", "period_start": FIRST_DAY.isoformat(),
        "period_end": (FIRST_DAY + dt.timedelta(days=5)).isoformat(), "reviewers": [world.supervisor.pk],
        "count": "2"})
    made = ReviewRound.objects.get()
    client.post(reverse("review_draw", args=[made.pk]))
    texts = _dashboard_texts(client)
    assert not any("000/2/17" in text for text in texts) and any("年度评查" in text for text in texts)
    accountability.open_case(world.agency, officer=world.officers[0], misconduct="not_recording", facts="未记录",
                             actor=world.supervisor)
    for person in (world.head, world.officers[0]):
        client.force_login(person)
        texts = _dashboard_texts(client)
        assert any("不按规定佩戴" in text for text in texts)


def test_004_24_a_misconduct_case_opened_from_a_compliance_finding(db, client):
    from compliance.models import Finding
    from tests.factories import ActivityFactory

    world = build("xinzhou_finance", records=0)
    activity = ActivityFactory(agency=world.agency, officers=[world.officers[0]])
    finding = Finding.objects.create(agency=world.agency, activity=activity, officer=world.officers[0],
                                     rule="not_recorded", fingerprint="not_recorded", severity="high",
                                     cites="004/9", params={"stage": "现场检查", "requirement": "全过程"},
                                     opened_at=timezone.now())
    client.force_login(world.supervisor)
    listing = client.get(reverse("finding_list")).content.decode()
    link = f"{reverse('misconduct_list')}?finding={finding.pk}&amp;officer={world.officers[0].pk}"
    assert link in listing
    form = client.get(link.replace("&amp;", "&")).context["form"]
    assert form.initial == {"finding_id": finding.pk, "officer": world.officers[0].pk}
    client.post(reverse("misconduct_list"), {"officer": world.officers[0].pk, "misconduct": "not_recording",
                                             "facts": "未对现场检查进行记录", "finding_id": finding.pk})
    assert MisconductCase.objects.get().finding_id == finding.pk
    client.force_login(world.officers[1])
    assert link not in client.get(reverse("finding_list")).content.decode()


def _finding(world, activity, officer, opened_at=None, closed_at=None):
    from compliance.models import Finding

    return Finding.objects.create(agency=world.agency, activity=activity, officer=officer, rule="not_recorded",
                                  fingerprint=f"not_recorded-{activity.pk}", severity="high", cites="004/9",
                                  params={"stage": "现场检查", "requirement": "全过程"},
                                  opened_at=opened_at or timezone.now(), closed_at=closed_at)


def test_004_24_opening_a_misconduct_case_offers_a_picker_of_open_findings_in_chinese(db, client):
    """The supervisor picks a finding by what it says, not by its number; closed findings are not offered, a
    search narrows the list, and an id the user may not see is refused whatever the page offered."""
    from compliance.models import Finding
    from tests.factories import ActivityFactory, AgencyFactory

    world = build("xinzhou_finance", records=0)
    first = ActivityFactory(agency=world.agency, officers=[world.officers[0]], place="东城区幸福路")
    second = ActivityFactory(agency=world.agency, officers=[world.officers[1]], place="西城区建设路")
    open_one = _finding(world, first, world.officers[0])
    other = _finding(world, second, world.officers[1])
    closed = Finding.objects.create(agency=world.agency, activity=second, officer=world.officers[1],
                                    rule="not_recorded", fingerprint="closed", severity="high", cites="004/9",
                                    params={"stage": "调查取证", "requirement": "全过程"}, opened_at=timezone.now(),
                                    closed_at=timezone.now())
    elsewhere = AgencyFactory(code="lushan-finance", name="鲁山县财政局", pack_code="lushan_finance")
    foreign = _finding(SimpleNamespace(agency=elsewhere), ActivityFactory(agency=elsewhere), None)
    client.force_login(world.supervisor)
    page = client.get(reverse("misconduct_list"))
    offered = dict(page.context["form"].fields["finding_id"].widget.choices)
    assert set(offered) - {""} == {open_one.pk, other.pk}
    assert "现场检查" in offered[open_one.pk] and "东城区幸福路" in offered[open_one.pk] and "第九条" in offered[
        open_one.pk]
    narrowed = client.get(reverse("misconduct_list"), {"finding_q": "东城区"})
    assert set(dict(narrowed.context["form"].fields["finding_id"].widget.choices)) - {""} == {open_one.pk}
    base = {"officer": world.officers[1].pk, "misconduct": "not_recording", "facts": "未对现场检查进行记录"}
    refused = client.post(reverse("misconduct_list"), {**base, "finding_id": foreign.pk})
    assert refused.status_code == 200 and refused.context["form"].errors["finding_id"]
    assert not MisconductCase.objects.exists()
    client.post(reverse("misconduct_list"), {**base, "finding_id": closed.pk})  # still the user's to see
    assert MisconductCase.objects.get().finding_id == closed.pk


def test_004_22_opening_a_sampling_round_is_a_visible_primary_action(db, client):
    world = build("xinzhou_finance", records=0)
    client.force_login(world.supervisor)
    page = client.get(reverse("review_list")).content.decode()
    assert 'href="#open-round"' in page and '<section id="open-round">' in page and "<details" not in page
    client.force_login(world.officers[0])
    assert 'id="open-round"' not in client.get(reverse("review_list")).content.decode()
