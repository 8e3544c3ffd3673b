"""The legal-review gate (001/5, 002 附件2): thresholds from the pack's catalogue, review per point, and the finalising
gate."""

from __future__ import annotations

import pytest

from authz.roles import Role
from cases import decisions
from cases.models import Decision
from ledger.models import Event
from tests.factories import AgencyFactory, CaseFactory, UserFactory, officer


def _world(pack: str, code: str, party_kind: str = "person", category: str = "penalty"):
    agency = AgencyFactory(code=code, name=pack, pack_code=pack)
    drafter = officer(agency)
    staff = {"drafter": drafter, "legal": UserFactory(agency=agency, roles=(Role.LEGAL_REVIEWER,)),
             "head": UserFactory(agency=agency, roles=(Role.HEAD,))}
    case = CaseFactory(agency=agency, party_kind=party_kind, category=category, handlers=[drafter])
    return case, staff


def _draft(case, staff, amount=None, decision_type="fine", law=False):
    return decisions.draft(case, decision_type=decision_type, amount_yuan=amount, measures="罚款",
                           actor=staff["drafter"], law_requires_review=law)


@pytest.mark.parametrize("party_kind, amount, required", [
    ("person", 9_999, False), ("person", 10_000, True),
    ("organisation", 99_999, False), ("organisation", 100_000, True), ("organisation", 10_000, False),
])
def test_002_legal_review_fine_thresholds(db, party_kind, amount, required):
    case, staff = _world("ruzhou_water", "ruzhou-water", party_kind)
    decision = _draft(case, staff, amount)
    assert decision.review_required is required
    if required:
        assert decision.required_items[0]["cite"] == "002/附件2/1"


def test_002_legal_review_every_compulsory_measure(db):
    case, staff = _world("ruzhou_water", "ruzhou-water", category="compulsion")
    decision = _draft(case, staff, decision_type="seal_or_seize")
    assert [i["cite"] for i in decision.required_items] == ["002/附件2/2"]


def test_001_5_the_catalogue_names_the_decisions_that_need_review(db):
    case, staff = _world("pingdingshan_emergency", "pingdingshan-emergency")
    assert _draft(case, staff, decision_type="stop_production").required_items[0]["cite"] == "001/5/一/1"
    assert not _draft(case, staff, amount=50_000).review_required  # 较大数额: the amount is set by other rules
    assert _draft(case, staff, amount=50_000, law=True).required_items[0]["cite"] == "001/5/一/4"


def test_002_legal_review_gate_review_per_point_then_finalise(db):
    case, staff = _world("ruzhou_water", "ruzhou-water")
    decision = _draft(case, staff, 20_000)
    with pytest.raises(decisions.DecisionRefused, match="002/附件2/1"):
        decisions.finalise(decision, actor=staff["head"])
    assert Event.objects.filter(verb="decision.finalise", result="denied").exists()
    with pytest.raises(decisions.DecisionRefused, match="现场勘验笔录"):
        decisions.submit_for_review(decision, {"立案审批表": "立审〔2026〕1号"}, actor=staff["drafter"])
    materials = {m: "附件" for m in decisions.materials_needed(decision)}
    review = decisions.submit_for_review(decision, materials, actor=staff["drafter"])
    points = decisions.points_to_review(decision)
    findings = [{"point": p, "finding": "符合规定", "ok": True} for p in points]
    with pytest.raises(decisions.DecisionRefused):  # the drafter does not review their own decision
        decisions.record_review(review, findings, passed=True, opinion="同意", actor=staff["drafter"])
    with pytest.raises(decisions.DecisionRefused):  # every point needs a finding
        decisions.record_review(review, findings[:-1], passed=True, opinion="同意", actor=staff["legal"])
    wanting = [*findings[:-1], {"point": points[-1], "finding": "未告知陈述申辩权利", "ok": False}]
    with pytest.raises(decisions.DecisionRefused):  # cannot pass with a point found wanting
        decisions.record_review(review, wanting, passed=True, opinion="同意", actor=staff["legal"])
    decisions.record_review(review, findings, passed=True, opinion="事实清楚，程序合法，同意", actor=staff["legal"])
    decision.refresh_from_db()
    assert decision.state == Decision.State.REVIEW_PASSED
    final = decisions.finalise(decision, actor=staff["head"])
    assert final.state == Decision.State.FINAL


def test_a_decision_waits_while_required_recordings_have_open_findings(db):
    from compliance import services as compliance
    from tests.factories import ActivityFactory

    case, staff = _world("lushan_finance", "lushan-finance")
    import datetime as dt

    from django.utils import timezone

    start = timezone.now() - dt.timedelta(days=3)
    activity = ActivityFactory(agency=case.agency, case=case, category="penalty", stage="hearing",
                               planned_start=start, planned_end=start + dt.timedelta(hours=1),
                               officers=[staff["drafter"]])
    compliance.refresh([activity.pk])
    decision = _draft(case, staff, 500)
    assert not decision.review_required
    with pytest.raises(decisions.DecisionRefused, match="未解决的问题"):
        decisions.finalise(decision, actor=staff["head"])


def test_002_legal_review_through_the_pages(client, db):
    from tests.conftest import login

    case, staff = _world("ruzhou_water", "ruzhou-water")
    login(client, staff["drafter"])
    client.post(f"/cases/{case.pk}/decisions/new/", {"decision_type": "fine", "amount_yuan": "10000",
                                                     "measures": "罚款一万元"})
    decision = Decision.objects.get()
    page = client.get(f"/decisions/{decision.pk}/")
    assert "002/附件2/1" in page.content.decode() and page.context["can_submit"]
    client.post(f"/decisions/{decision.pk}/submit/", {f"material-{i}": "附件" for i in range(3)})
    client.force_login(staff["legal"])
    points = decisions.points_to_review(decision)
    form = {f"finding-{i}": "符合规定" for i in range(len(points))} | {f"ok-{i}": "on" for i in range(len(points))}
    client.post(f"/decisions/{decision.pk}/review/", {**form, "opinion": "同意", "conclusion": "pass"})
    client.force_login(staff["head"])
    client.post(f"/decisions/{decision.pk}/finalise/")
    decision.refresh_from_db()
    assert decision.state == Decision.State.FINAL
    assert "罚款" in client.get(f"/cases/{case.pk}/").content.decode()


@pytest.mark.parametrize("mark", ["commercial_secret", "personal_privacy", "state_secret"])
def test_001_5_the_legal_reviewer_reviews_a_decision_on_a_marked_case(client, db, mark):
    """Clearance follows the duty: the reviewer the pack names sees the marked case once a decision is submitted."""
    from cases.queries import decisions_awaiting_review
    from tests.conftest import login

    case, staff = _world("ruzhou_water", "ruzhou-water")
    setattr(case, mark, True)
    case.save(update_fields=[mark])
    decision = _draft(case, staff, amount=10_000)
    login(client, staff["legal"])
    assert client.get(f"/decisions/{decision.pk}/").status_code == 404  # a draft stays behind the mark
    decisions.submit_for_review(decision, {m: "附件" for m in decisions.materials_needed(decision)},
                                actor=staff["drafter"])
    assert list(decisions_awaiting_review(staff["legal"])) == [decision]
    page = client.get(f"/decisions/{decision.pk}/")
    assert page.status_code == 200 and page.context["can_review"]
    assert f"/decisions/{decision.pk}/" in client.get("/").content.decode()  # on the reviewer's desk
    points = decisions.points_to_review(decision)
    form = {f"finding-{i}": "符合规定" for i in range(len(points))} | {f"ok-{i}": "on" for i in range(len(points))}
    client.post(f"/decisions/{decision.pk}/review/", {**form, "opinion": "同意", "conclusion": "pass"})
    decision.refresh_from_db()
    assert decision.state == Decision.State.REVIEW_PASSED
    # Other staff without the duty still do not see the marked case.
    other = UserFactory(agency=case.agency, roles=(Role.SUPERVISOR,))
    login(client, other)
    assert client.get(f"/decisions/{decision.pk}/").status_code == 404


def test_001_5_the_drafter_is_told_when_nobody_can_review(client, db):
    from tests.conftest import login

    case, staff = _world("ruzhou_water", "ruzhou-water")
    staff["legal"].role_grants.all().delete()
    decision = _draft(case, staff, amount=10_000)
    materials = {f"material-{i}": "附件" for i in range(len(decisions.materials_needed(decision)))}
    login(client, staff["drafter"])
    response = client.post(f"/decisions/{decision.pk}/submit/", materials, follow=True)
    assert "法制审核" in response.content.decode() and "系统管理员" in response.content.decode()
    decision.refresh_from_db()
    assert decision.state == Decision.State.DRAFT
    assert Event.objects.filter(verb="decision.submit_review", result="denied").exists()


def test_002_legal_review_asks_for_words_only_where_a_point_is_wanting(db):
    case, staff = _world("ruzhou_water", "ruzhou-water")
    decision = _draft(case, staff, 20_000)
    review = decisions.submit_for_review(decision, {m: "附件" for m in decisions.materials_needed(decision)},
                                         actor=staff["drafter"])
    points = decisions.points_to_review(decision)
    silent_wanting = [{"point": p, "finding": "", "ok": p != points[-1]} for p in points]
    with pytest.raises(decisions.DecisionRefused, match="写明存在的问题"):
        decisions.record_review(review, silent_wanting, passed=False, opinion="退回", actor=staff["legal"])
    ticked = [{"point": p, "finding": "", "ok": True} for p in points]
    decisions.record_review(review, ticked, passed=True, opinion="同意", actor=staff["legal"])
    decision.refresh_from_db()
    assert decision.state == Decision.State.REVIEW_PASSED


def test_002_the_review_page_asks_for_words_only_where_a_point_is_not_ticked(client, db):
    from tests.conftest import login

    case, staff = _world("ruzhou_water", "ruzhou-water")
    decision = _draft(case, staff, 20_000)
    decisions.submit_for_review(decision, {m: "附件" for m in decisions.materials_needed(decision)},
                                actor=staff["drafter"])
    points = decisions.points_to_review(decision)
    login(client, staff["legal"])
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    # The page makes the words required while the box is unticked (a script); the field itself is not "required".
    assert 'data-required-unless="ok-0"' in page and 'id="finding-0" required' not in page
    wanting = {f"ok-{i}": "on" for i in range(len(points) - 1)} | {"opinion": "部分内容不全，退回补正",
                                                                     "conclusion": "fail"}
    refused = client.post(f"/decisions/{decision.pk}/review/", wanting)
    form = refused.context["review_form"]
    assert refused.status_code == 200 and list(form.errors) == [f"finding-{len(points) - 1}"]
    assert "部分内容不全，退回补正" in refused.content.decode()  # nothing typed is lost
    decision.refresh_from_db()
    assert decision.state == Decision.State.IN_REVIEW
    passing = {f"ok-{i}": "on" for i in range(len(points))} | {"opinion": "同意", "conclusion": "pass"}
    client.post(f"/decisions/{decision.pk}/review/", passing)
    decision.refresh_from_db()
    assert decision.state == Decision.State.REVIEW_PASSED


def test_001_5_the_legal_reviewer_opens_the_materials_submitted_and_each_look_is_registered(client, db, tmp_path):
    """The drafter attaches records of the case to each material; the legal reviewer opens them through the choke
    point (clearance follows the duty, 000/1/10) while the review is open, and each look is in the register."""
    from access import register
    from ledger.queries import events_matching
    from tests.access_world import build
    from tests.conftest import login

    w = build("ruzhou_water", tmp_path)
    w.case.commercial_secret = True
    w.case.save(update_fields=["commercial_secret"])
    type(w.clip).objects.filter(pk=w.clip.pk).update(confidentiality="personal_privacy")
    decision = decisions.draft(w.case, decision_type="fine", amount_yuan=200_000, measures="罚款二十万元",
                               law_requires_review=False, actor=w.handler)
    assert decision.review_required
    login(client, w.legal)
    assert client.get(f"/evidence/{w.clip.pk}/play/").status_code in (403, 404)  # nothing submitted yet
    login(client, w.handler)
    needed = decisions.materials_needed(decision)
    page = client.get(f"/decisions/{decision.pk}/")
    offered = {r.pk for r in page.context["submit_form"].fields["records-0"].queryset}
    assert {w.clip.pk, w.decision.pk} <= offered
    posted = {f"material-{i}": "纸质卷宗第3页" for i in range(1, len(needed))} | {"records-0": [w.clip.pk]}
    client.post(f"/decisions/{decision.pk}/submit/", posted)
    decision.refresh_from_db()
    assert decision.state == Decision.State.IN_REVIEW

    login(client, w.legal)
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert f'href="/evidence/{w.clip.pk}/play/"' in page and w.clip.shown_name in page
    assert client.get(f"/evidence/{w.clip.pk}/play/").status_code == 200
    look = events_matching(verbs=["record.view"], agency_code=w.agency.code).get(object_id=str(w.clip.pk))
    assert look.actor == w.legal and look.detail["legal_review"] == decision.reviews.get().pk
    row = register.rows([look])[0]
    assert "法制审核" in row.approver and str(decision) in row.approver
    # Someone without the duty is not let in by the submission, and the transcript not submitted stays shut.
    login(client, w.supervisor)
    assert client.get(f"/evidence/{w.clip.pk}/play/").status_code in (403, 404)
    login(client, w.legal)
    assert client.get(f"/evidence/{w.transcript.pk}/play/").status_code in (403, 404)
    # Once the review is recorded, the materials close again.
    points = decisions.points_to_review(decision)
    client.post(f"/decisions/{decision.pk}/review/", {f"ok-{i}": "on" for i in range(len(points))}
                | {"opinion": "同意", "conclusion": "pass"})
    assert client.get(f"/evidence/{w.clip.pk}/play/").status_code in (403, 404)


def test_001_5_only_records_of_the_case_the_drafter_sees_are_attached(db, tmp_path):
    from tests.access_world import build
    from tests.factories import RecordFactory

    w = build("ruzhou_water", tmp_path)
    decision = decisions.draft(w.case, decision_type="fine", amount_yuan=200_000, measures="罚款二十万元",
                               law_requires_review=False, actor=w.handler)
    assert decision.review_required
    stranger = RecordFactory(agency=w.agency)
    needed = decisions.materials_needed(decision)
    with pytest.raises(decisions.DecisionRefused, match="本案"):
        decisions.submit_for_review(decision, {m: "附件" for m in needed}, attached={needed[0]: [stranger.pk]},
                                    actor=w.handler)
    assert Event.objects.filter(verb="decision.submit_review", result="denied").exists()
    assert not decision.reviews.exists()
