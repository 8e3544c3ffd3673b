"""Access requests by requester type, per seed agency and article (000/1/4-8, 000/1/10), and the choke point behind
them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from access import services
from access.models import AccessRequest
from authz.scopes import restrict
from evidence.models import Record
from evidence.queries import visible_records
from ledger.models import Event
from tests.access_world import application, build

LETTER = {"introduction_letter": "检介〔2026〕12号", "valid_id": "410423198001010011"}


def granted(world, app, actor, *deciders):
    access = services.submit_request(app, actor=actor)
    for person in deciders:
        access = services.decide(access, actor=person, approve=True)
    return access


def can(user, record, action) -> bool:
    return restrict(Record.objects.filter(pk=record.pk), user, action).exists()


# --- 000 鲁山县财政局 -------------------------------------------------------------------------------------


@pytest.fixture
def lushan(db, tmp_path):
    return build("lushan_finance", tmp_path)


def test_000_1_4_case_officer_views_directly_but_copies_only_with_head_approval(lushan):
    w = lushan
    assert can(w.handler, w.clip, "play") and not can(w.handler, w.clip, "copy")
    access = services.submit_request(application(w, "case_officer", ["duplicate"], person=w.handler),
                                     actor=w.handler)
    assert access.status == AccessRequest.Status.PENDING and access.steps == [{"role": "head", "kind": "approve"}]
    assert not can(w.handler, w.clip, "copy")
    services.decide(access, actor=w.head, approve=True)
    assert can(w.handler, w.clip, "copy")
    assert list(Event.objects.filter(object_id=str(access.pk), object_type="access.accessrequest")
                .order_by("seq").values_list("verb", flat=True)) == ["access.request", "access.approve", "access.grant"]


def test_000_1_5_other_staff_need_a_special_reason_and_the_heads_approval(lushan):
    w = lushan
    assert not can(w.colleague, w.clip, "play") and can(w.colleague, w.clip, "view")
    with pytest.raises(services.AccessRefused, match="000/1/5"):
        services.submit_request(application(w, "other_staff", ["view"], person=w.colleague, reason="看看"),
                                actor=w.colleague)
    assert Event.objects.filter(verb="access.request", result="denied", actor=w.colleague).exists()
    access = granted(w, application(w, "other_staff", ["view"], person=w.colleague), w.colleague, w.head)
    assert access.status == AccessRequest.Status.GRANTED
    assert can(w.colleague, w.clip, "play") and not can(w.colleague, w.clip, "copy")


def test_000_1_6_authorities_are_registered_after_their_papers_are_checked(lushan):
    w = lushan
    app = application(w, "procuratorate", ["view", "photocopy"], credentials={"valid_id": "4104"})
    with pytest.raises(services.AccessRefused, match="单位介绍信|letter of introduction"):
        services.submit_request(app, actor=w.archivist)
    app = application(w, "procuratorate", ["view", "photocopy"], credentials=LETTER, verified=False)
    with pytest.raises(services.AccessRefused, match="000/1/6"):
        services.submit_request(app, actor=w.archivist)
    access = services.submit_request(application(w, "procuratorate", ["view", "photocopy"], credentials=LETTER),
                                     actor=w.archivist)
    assert access.status == AccessRequest.Status.GRANTED and access.steps == []
    # The archivist holds an outside requester's grant on their behalf.
    assert can(w.archivist, w.clip, "copy")


def test_000_1_6_only_the_archivist_files_for_outside_requesters(lushan):
    w = lushan
    with pytest.raises(services.AccessRefused):
        services.submit_request(application(w, "court", ["view"], credentials=LETTER), actor=w.handler)


def test_000_1_7_the_party_sees_conclusive_documents_and_av_only_with_the_heads_approval(lushan):
    w = lushan
    outside = application(w, "party", ["view"], credentials=LETTER, records=[w.clip, w.transcript],
                          name="某商贸有限公司 张某", unit="某商贸有限公司")
    with pytest.raises(services.AccessRefused, match="询问笔录"):
        services.submit_request(outside, actor=w.archivist)
    app = application(w, "party", ["view"], credentials=LETTER, records=[w.clip, w.decision])
    access = granted(w, app, w.archivist, w.head)
    assert set(access.records.values_list("pk", flat=True)) == {w.clip.pk, w.decision.pk}


def test_000_1_7_the_lawyer_also_shows_power_of_attorney_authorisation_and_licence(lushan):
    w = lushan
    with pytest.raises(services.AccessRefused, match="000/1/7"):
        services.submit_request(application(w, "party_lawyer", ["view"], credentials=LETTER), actor=w.archivist)
    papers = {**LETTER, "power_of_attorney": "委托书", "authorisation": "授权书", "lawyer_licence": "14101201810"}
    access = services.submit_request(application(w, "party_lawyer", ["view"], credentials=papers),
                                     actor=w.archivist)
    assert access.steps == [{"role": "head", "kind": "approve"}]


def test_000_1_8_another_regions_enforcement_body_by_letter_with_the_heads_approval(lushan):
    w = lushan
    app = application(w, "other_region_enforcement", ["photocopy", "mail"],
                      credentials={"official_letter": "豫财函〔2026〕5号"}, unit="宝丰县财政局")
    access = granted(w, app, w.archivist, w.head)
    assert access.status == AccessRequest.Status.GRANTED


def test_000_1_10_a_marked_record_is_invisible_to_the_uncleared_even_in_counts(lushan):
    w = lushan
    Record.objects.filter(pk=w.transcript.pk).update(confidentiality="commercial_secret")
    assert visible_records(w.supervisor).count() == 2
    assert not visible_records(w.supervisor).filter(pk=w.transcript.pk).exists()
    assert visible_records(w.handler).count() == 3  # the case handler works with it
    w.supervisor.clearances = ["commercial_secret"]
    w.supervisor.save()
    assert visible_records(w.supervisor).count() == 3


def test_000_1_10_copying_a_marked_record_needs_the_packs_extra_approval(lushan):
    w = lushan
    Record.objects.filter(pk=w.clip.pk).update(confidentiality="personal_privacy")
    assert not visible_records(w.archivist).filter(pk=w.clip.pk).exists()
    w.archivist.clearances = ["personal_privacy"]
    w.archivist.save()
    access = services.submit_request(application(w, "procuratorate", ["photocopy"], credentials=LETTER),
                                     actor=w.archivist)
    assert access.steps == [{"role": "head", "kind": "approve"}]
    services.decide(access, actor=w.head, approve=True)
    assert can(w.archivist, w.clip, "copy")


# --- 001 平顶山高新区应急管理局 -------------------------------------------------------------------------------


@pytest.fixture
def pingdingshan(db, tmp_path):
    return build("pingdingshan_emergency", tmp_path)


def test_001_4_3_a_case_officer_copies_after_registration_alone(pingdingshan):
    w = pingdingshan
    access = services.submit_request(application(w, "case_officer", ["photocopy"], person=w.handler),
                                     actor=w.handler)
    assert access.status == AccessRequest.Status.GRANTED and access.cites == "001/4/3"
    assert can(w.handler, w.clip, "copy")


def test_001_2_10_other_staff_view_with_the_case_offices_consent(pingdingshan):
    w = pingdingshan
    access = services.submit_request(application(w, "other_staff", ["view"], person=w.colleague),
                                     actor=w.colleague)
    assert access.steps == [{"role": "case_office", "kind": "consent"}]
    services.decide(access, actor=w.head, approve=True)
    assert can(w.colleague, w.clip, "play")


def test_001_4_7_lending_only_to_staff_with_the_leader_in_charge_approving(pingdingshan):
    w = pingdingshan
    access = services.submit_request(application(w, "other_staff", ["borrow"], person=w.colleague),
                                     actor=w.colleague)
    assert access.steps == [{"role": "leader_in_charge", "kind": "approve"}]
    with pytest.raises(services.AccessRefused):
        services.submit_request(application(w, "party", ["borrow"], credentials=LETTER), actor=w.archivist)


def test_001_3_13_copies_for_litigation_are_checked_by_the_policy_office_then_approved(pingdingshan):
    w = pingdingshan
    access = services.submit_request(application(w, "case_officer", ["duplicate"], person=w.handler,
                                                 purpose="litigation"), actor=w.handler)
    assert access.cites == "001/3/13"
    assert [s["role"] for s in access.steps] == ["policy_office", "leader_in_charge"]
    with pytest.raises(services.AccessRefused):  # the leader cannot skip the policy office's check
        services.decide(access, actor=w.head, approve=True)
    services.decide(access, actor=w.legal, approve=True)
    access = services.decide(access, actor=w.head, approve=True)
    assert access.status == AccessRequest.Status.GRANTED


def test_001_4_5_the_party_may_see_conclusive_documents_only(pingdingshan):
    w = pingdingshan
    with pytest.raises(services.AccessRefused, match="001/4/5"):
        services.submit_request(application(w, "party", ["view"], credentials=LETTER), actor=w.archivist)
    access = services.submit_request(application(w, "party", ["view", "excerpt"], credentials=LETTER,
                                                 records=[w.decision]), actor=w.archivist)
    assert access.status == AccessRequest.Status.GRANTED


def test_001_4_10_cases_not_yet_archived_are_outside_the_procedure(db, tmp_path):
    w = build("pingdingshan_emergency", tmp_path, archived=False)
    with pytest.raises(services.AccessRefused, match="001/4/10"):
        services.submit_request(application(w, "case_officer", ["photocopy"], person=w.handler), actor=w.handler)


# --- 002 汝州市水利局 --------------------------------------------------------------------------------------------


@pytest.fixture
def ruzhou(db, tmp_path):
    return build("ruzhou_water", tmp_path)


def test_002_access_other_staff_need_the_heads_approval_and_a_special_reason(ruzhou):
    w = ruzhou
    access = services.submit_request(application(w, "other_staff", ["view"], person=w.colleague),
                                     actor=w.colleague)
    assert access.cites == "002/调阅/5" and access.status == AccessRequest.Status.PENDING


def test_002_access_audit_office_copies_after_its_papers_are_verified(ruzhou):
    w = ruzhou
    access = services.submit_request(application(w, "audit", ["copy_out"], credentials=LETTER, unit="汝州市审计局"),
                                     actor=w.archivist)
    assert access.status == AccessRequest.Status.GRANTED and access.cites == "002/调阅/6"


# --- 004 忻州市财政局 ---------------------------------------------------------------------------------------------


@pytest.fixture
def xinzhou(db, tmp_path):
    return build("xinzhou_finance", tmp_path)


def test_004_16_no_one_views_without_approval_not_even_the_case_officer(xinzhou):
    w = xinzhou
    assert not can(w.handler, w.clip, "play")
    access = granted(w, application(w, "case_officer", ["view"], person=w.handler), w.handler, w.head)
    assert access.cites == "004/16" and can(w.handler, w.clip, "play")


def test_004_15_files_for_review_or_court_are_provided_centrally(xinzhou):
    w = xinzhou
    access = services.submit_request(application(w, "court", ["duplicate", "mail"], unit="忻州市中级人民法院"),
                                     actor=w.archivist)
    assert access.status == AccessRequest.Status.GRANTED and "004/15" in access.cites
    with pytest.raises(services.AccessRefused):
        services.submit_request(application(w, "party", ["view"]), actor=w.archivist)


# --- bad input ------------------------------------------------------------------------------------------------


def test_nobody_approves_their_own_request_and_the_attempt_is_recorded(lushan):
    w = lushan
    access = services.submit_request(application(w, "other_staff", ["view"], person=w.head), actor=w.head)
    with pytest.raises(services.AccessRefused, match="Nobody decides|本人"):
        services.decide(access, actor=w.head, approve=True)
    assert Event.objects.filter(verb="access.approve", result="denied", actor=w.head).exists()
    access.refresh_from_db()
    assert access.status == AccessRequest.Status.PENDING


def test_a_decided_request_cannot_be_decided_again(lushan):
    w = lushan
    access = services.submit_request(application(w, "other_staff", ["view"], person=w.colleague),
                                     actor=w.colleague)
    services.decide(access, actor=w.head, approve=False, comment="理由不充分")
    with pytest.raises(services.AccessRefused):
        services.decide(access, actor=w.deputy, approve=True)
    access.refresh_from_db()
    assert access.status == AccessRequest.Status.REJECTED


def test_an_expired_grant_opens_nothing_and_is_closed_by_the_hourly_job(lushan):
    w = lushan
    access = granted(w, application(w, "other_staff", ["view"], person=w.colleague, days=1), w.colleague, w.head)
    assert can(w.colleague, w.clip, "play")
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert not can(w.colleague, w.clip, "play")
        assert services.expire_due() == 1
    access.refresh_from_db()
    assert access.status == AccessRequest.Status.EXPIRED
    assert Event.objects.filter(verb="access.expire", object_id=str(access.pk)).exists()


def test_a_grant_period_beyond_the_deployments_limit_is_refused(lushan, settings):
    w = lushan
    settings.ACCESS_GRANT_MAX_DAYS = 10
    with pytest.raises(services.AccessRefused, match="10"):
        services.submit_request(application(w, "other_staff", ["view"], person=w.colleague, days=11),
                                actor=w.colleague)


def test_items_from_another_case_are_refused(lushan):
    from tests.factories import CaseFactory, RecordFactory

    w = lushan
    stray = RecordFactory(agency=w.agency, case=CaseFactory(agency=w.agency))
    with pytest.raises(services.AccessRefused, match="Every item|所选案件"):
        services.submit_request(application(w, "other_staff", ["view"], person=w.colleague,
                                            records=[w.clip, stray]), actor=w.colleague)


def test_administrators_see_no_evidence_at_all(lushan):
    from authz.roles import Role
    from tests.factories import UserFactory

    w = lushan
    for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
        admin = UserFactory(agency=w.agency, roles=(role,))
        for action in ("view", "play", "copy", "burn", "classify"):
            assert not restrict(Record.objects.all(), admin, action).exists(), (role, action)
        assert not restrict(AccessRequest.objects.all(), admin).exists()
