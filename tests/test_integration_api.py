"""The integration API (issue 25): connected systems write cases and activities through the pages' action functions
and read through the same permission choke point; every call and every refusal is on record under the system's
name."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from authz.roles import Role
from cases.models import Activity, Case
from integration import accounts
from integration.models import ApiToken
from ledger.models import Event
from tests.factories import AgencyFactory, CaseFactory, UserFactory, officer

ALL = ["cases.write", "cases.read", "records.read", "compliance.read", "access.read", "retention.read",
       "supervision.read", "feed.read"]


def client_for(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def system(agency):
    account = accounts.create_account(agency, name="鲁山县财政执法办案系统")
    return account


def issue(account, operations=ALL, days=30):
    token, secret = accounts.issue_token(account, operations=operations,
                                         expires_at=timezone.now() + dt.timedelta(days=days))
    return token, secret


@pytest.fixture
def api(system, agency):
    officer(agency, staff_number="A1001")
    return client_for(issue(system)[1])


def case_body(**extra):
    body = {"number": "鲁财罚〔2026〕101号", "title": "某公司违规使用财政资金案", "category": "penalty",
            "party_kind": "organisation", "party_name": "某商贸有限公司", "opened_on": "2026-11-02",
            "external_id": "BAXT-2026-0001", "handlers": ["A1001"]}
    body.update(extra)
    return body


def refusals(code: str):
    return Event.objects.filter(result=Event.Result.DENIED, detail__code=code)


def test_a_created_case_is_on_record_with_the_system_as_actor(api, system, agency):
    handler = officer(agency, staff_number="A1002")
    response = api.post("/api/v1/cases/", case_body(handlers=["A1002"]), format="json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert list(case.handlers.all()) == [handler]
    assert response.json()["external_id"] == "BAXT-2026-0001"
    event = Event.objects.get(verb="case.create", object_id=str(case.pk))
    assert event.actor_label == "鲁山县财政执法办案系统" and event.agency_code == agency.code
    call = Event.objects.filter(verb="api.call").latest("seq")
    assert call.actor_label == system.name and call.detail["status"] == 201


def test_idempotency_key_retried_never_makes_two_cases(api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-1"}
    first = api.post("/api/v1/cases/", case_body(), format="json", **headers)
    again = api.post("/api/v1/cases/", case_body(), format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    other = api.post("/api/v1/cases/", case_body(number="鲁财罚〔2026〕102号"), format="json", **headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


def test_a_refused_create_frees_its_key_and_stays_on_record(api):
    bad = api.post("/api/v1/cases/", case_body(category="water_admin"), format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"
    assert "category" in bad.json()["errors"] and bad.json()["message"]
    good = api.post("/api/v1/cases/", case_body(), format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert good.status_code == 201


def test_an_external_id_names_one_case_only(api):
    assert api.post("/api/v1/cases/", case_body(), format="json").status_code == 201
    again = api.post("/api/v1/cases/", case_body(number="X-2"), format="json")
    assert again.status_code == 409 and again.json()["code"] == "external_id_taken"
    found = api.get("/api/v1/cases/", {"external_id": "BAXT-2026-0001"}).json()["results"]
    assert [c["number"] for c in found] == ["鲁财罚〔2026〕101号"]


def test_a_case_needs_a_handler_and_known_staff_numbers(api):
    missing = api.post("/api/v1/cases/", case_body(handlers=None) | {"handlers": []}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "validation_failed"
    unknown = api.post("/api/v1/cases/", case_body(handlers=["NOBODY"]), format="json")
    assert unknown.status_code == 400 and "NOBODY" in unknown.json()["errors"]["handlers"][0]
    assert Case.objects.count() == 0


def test_validation_is_the_pages_with_a_chinese_message(api, agency):
    CaseFactory(agency=agency, number="鲁财罚〔2026〕101号")
    response = api.post("/api/v1/cases/", case_body(), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed" and "已" in body["errors"]["number"][0]


def test_an_activity_takes_the_packs_checklist_row_and_properties(db):
    """Properties are the ids the agency's pack declares (rules v2), as the pages answer them."""
    emergency = AgencyFactory(code="pingdingshan-emergency", name="平顶山高新区应急管理局",
                              pack_code="pingdingshan_emergency")
    person = officer(emergency, staff_number="A2001")
    api = client_for(issue(accounts.create_account(emergency, name="平顶山应急执法办案系统"))[1])
    case = api.post("/api/v1/cases/", case_body(handlers=["A2001"]), format="json").json()
    body = {"case_external_id": "BAXT-2026-0001", "category": "penalty", "stage": "questioning",
            "place": "城关镇建设路18号", "planned_start": "2026-11-03T09:00:00+08:00",
            "planned_end": "2026-11-03T11:00:00+08:00", "properties": ["dispute_likely"], "officers": ["A2001"],
            "external_id": "HD-1"}
    response = api.post("/api/v1/activities/", body, format="json", HTTP_IDEMPOTENCY_KEY="a-1")
    assert response.status_code == 201, response.content
    assert response.json()["properties"] == ["dispute_likely"]
    activity = Activity.objects.get(pk=response.json()["id"])
    assert activity.case_id == case["id"] and activity.officers.get() == person
    assert activity.flags() == {"dispute_likely"}
    wrong = api.post("/api/v1/activities/", {**body, "stage": "no_such_row", "external_id": "HD-2"}, format="json")
    assert wrong.status_code == 400 and "stage" in wrong.json()["errors"]
    undeclared = api.post("/api/v1/activities/", {**body, "properties": ["major_property"], "external_id": "HD-3"},
                          format="json")
    assert undeclared.status_code == 400 and "properties" in undeclared.json()["errors"]


def test_a_token_without_the_operation_is_refused_on_record(system):
    reader = client_for(issue(system, ["records.read"])[1])
    response = reader.post("/api/v1/cases/", case_body(), format="json")
    assert response.status_code == 403 and response.json()["code"] == "scope_missing"
    event = refusals("scope_missing").get()
    assert event.actor_label == system.name and event.verb == "api.scope" and event.detail["operation"] == "cases.write"
    assert reader.get("/api/v1/findings/").json()["code"] == "scope_missing"


def test_a_token_of_another_agency_sees_nothing_of_this_one(api, agency, other_agency):
    mine = api.post("/api/v1/cases/", case_body(), format="json").json()
    theirs = client_for(issue(accounts.create_account(other_agency, name="汝州市水利局办案系统"))[1])
    assert theirs.get("/api/v1/cases/").json()["results"] == []
    response = theirs.get(f"/api/v1/cases/{mine['id']}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    patch = theirs.patch(f"/api/v1/cases/{mine['id']}/", {"title": "改"}, format="json")
    assert patch.status_code == 404
    assert refusals("not_found").filter(actor_label="汝州市水利局办案系统").count() == 2


@pytest.mark.parametrize("state", ["revoked", "expired", "unknown", "disabled"])
def test_a_revoked_expired_or_unknown_token_is_refused_on_record(system, state):
    token, secret = issue(system)
    if state == "revoked":
        accounts.revoke_token(token)
    elif state == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif state == "unknown":
        secret = secret[:-4] + "xxxx"
    else:
        accounts.set_active(system, False)
    response = client_for(secret).get("/api/v1/cases/")
    code = {"revoked": "token_revoked", "expired": "token_expired", "unknown": "token_unknown",
            "disabled": "system_disabled"}[state]
    assert response.status_code == 401 and response.json()["code"] == code and response.json()["message"]
    event = refusals(code).get()
    assert event.verb == "api.authenticate"
    assert event.actor_label == ("" if state == "unknown" else system.name)


def test_rotation_stops_the_old_token_and_keeps_the_operations(system):
    token, secret = issue(system, ["cases.read"])
    new, new_secret = accounts.rotate_token(token)
    assert new.operations == ["cases.read"] and new.replaces == token
    assert client_for(secret).get("/api/v1/cases/").json()["code"] == "token_revoked"
    assert client_for(new_secret).get("/api/v1/cases/").status_code == 200


def test_the_token_is_kept_only_as_its_hash(system):
    token, secret = issue(system)
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())


def test_the_rules_of_the_pages_decide_what_a_write_may_do(api, agency):
    """A confidentiality mark is lowered only by the security administrator (000/1/10), whoever calls."""
    response = api.post("/api/v1/cases/", case_body(state_secret=True), format="json")
    assert response.status_code == 201
    lowered = api.patch(f"/api/v1/cases/{response.json()['id']}/", {"state_secret": False}, format="json")
    assert lowered.status_code in (403, 404)


def test_calls_are_limited_per_token(system, settings):
    settings.INTEGRATION_API_RATE = "2/min"
    first, second = client_for(issue(system)[1]), client_for(issue(system)[1])
    assert [first.get("/api/v1/cases/").status_code for _ in range(3)] == [200, 200, 429]
    refused = first.get("/api/v1/cases/")
    body = refused.json()
    assert body["code"] == "rate_limited" and body["message"] == "该令牌调用过于频繁，请稍后重试。"
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert second.get("/api/v1/cases/").status_code == 200


def test_the_limit_holds_across_web_nodes(system, settings):
    """Two throttles with no state of their own (two web nodes; the local cache emptied between them) count the
    same calls: the count is in the database."""
    from django.core.cache import cache
    from rest_framework.test import APIRequestFactory

    from integration.api.throttle import TokenThrottle

    settings.INTEGRATION_API_RATE = "3/h"
    token, _secret = issue(system)
    request = APIRequestFactory().get("/api/v1/cases/")
    request.auth = accounts.caller_for(token)
    node_a, node_b = TokenThrottle(), TokenThrottle()
    assert node_a.allow_request(request, None) and node_b.allow_request(request, None)
    cache.clear()
    assert node_a.allow_request(request, None)
    assert not node_b.allow_request(request, None) and 0 < node_b.wait() <= 3600
    assert TokenThrottle().allow_request(request, None) is False  # a third node, started afresh


def test_a_session_is_not_a_token(client, agency):
    client.force_login(UserFactory(agency=agency, roles=(Role.HEAD,)))
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


@pytest.fixture
def made(api, agency):
    """A case and an activity created through the API."""
    case = api.post("/api/v1/cases/", case_body(), format="json").json()
    activity = api.post("/api/v1/activities/", {
        "case": case["id"], "category": "penalty", "stage": "on_site_enforcement", "place": "城关镇",
        "planned_start": "2026-11-03T09:00:00+08:00", "planned_end": "2026-11-03T11:00:00+08:00",
        "officers": ["A1001"]}, format="json").json()
    return case, activity


def test_the_party_of_a_case_is_written_through_the_case_action(api, made):
    case, _activity = made
    response = api.put(f"/api/v1/cases/{case['id']}/party/", {
        "party_kind": "person", "party_name": "张三", "party_identifier": "410423199001011234"}, format="json")
    assert response.status_code == 200 and response.json()["party_name"] == "张三"
    event = Event.objects.filter(verb="case.update", object_id=str(case["id"])).latest("seq")
    assert event.after["party_name"] == "张三" and event.actor_label == "鲁山县财政执法办案系统"


def test_000_1_4_handlers_change_with_a_reason(api, made, agency):
    case, _activity = made
    officer(agency, staff_number="A1009")
    no_reason = api.put(f"/api/v1/cases/{case['id']}/handlers/", {"handlers": ["A1009"], "reason": ""},
                        format="json")
    assert no_reason.status_code == 400
    changed = api.put(f"/api/v1/cases/{case['id']}/handlers/", {"handlers": ["A1009"], "reason": "人员调整"},
                      format="json")
    assert changed.status_code == 200 and changed.json()["handlers"] == ["A1009"]
    assert Event.objects.filter(verb="case.assign_handlers", detail__reason="人员调整").exists()
    in_patch = api.patch(f"/api/v1/cases/{case['id']}/", {"handlers": ["A1001"]}, format="json")
    assert in_patch.status_code == 400 and "handlers" in in_patch.json()["errors"]


def test_an_activity_is_corrected_through_the_activity_action(api, made):
    _case, activity = made
    response = api.patch(f"/api/v1/activities/{activity['id']}/", {"description": "补录现场情况", "place": "新址"},
                         format="json")
    assert response.status_code == 200 and response.json()["place"] == "新址"
    assert response.json()["properties"] == [] and response.json()["officers"] == ["A1001"]
    event = Event.objects.filter(verb="activity.update", object_id=str(activity["id"])).latest("seq")
    assert event.after == {"description": "补录现场情况", "place": "新址"}
    undeclared = api.patch(f"/api/v1/activities/{activity['id']}/", {"properties": ["major_hazard"]}, format="json")
    assert undeclared.status_code == 400 and "properties" in undeclared.json()["errors"]  # not in this pack
    backwards = api.patch(f"/api/v1/activities/{activity['id']}/", {"planned_end": "2026-11-03T08:00:00+08:00"},
                          format="json")
    assert backwards.status_code == 400 and "planned_end" in backwards.json()["errors"]


def test_001_5_a_decision_drafted_by_the_system_carries_the_catalogues_review(api, made):
    case, _activity = made
    response = api.post(f"/api/v1/cases/{case['id']}/decisions/", {
        "decision_type": "fine", "amount_yuan": 5000, "measures": "罚款五千元", "law_requires_review": False},
        format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert response.status_code == 201 and response.json()["state"] == "draft"
    again = api.post(f"/api/v1/cases/{case['id']}/decisions/", {
        "decision_type": "fine", "amount_yuan": 5000, "measures": "罚款五千元", "law_requires_review": False},
        format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert again.json()["id"] == response.json()["id"]
    listed = api.get(f"/api/v1/cases/{case['id']}/decisions/").json()["results"]
    assert [d["id"] for d in listed] == [response.json()["id"]]
    empty = api.post(f"/api/v1/cases/{case['id']}/decisions/", {
        "decision_type": "fine", "measures": " ", "law_requires_review": False}, format="json")
    assert empty.status_code in (400, 403) and empty.json()["message"]


def test_a_record_is_linked_to_an_activity_as_on_its_page(api, made, agency):
    from tests.factories import RecordFactory

    _case, activity = made
    record = RecordFactory(agency=agency, link_state="unmatched")
    response = api.post(f"/api/v1/records/{record.pk}/link/", {"activity": activity["id"]}, format="json")
    assert response.status_code == 200 and response.json()["activity"] == activity["id"]
    assert Event.objects.filter(verb="record.link", object_id=str(record.pk),
                                actor_label="鲁山县财政执法办案系统").exists()
    foreign = RecordFactory(agency=AgencyFactory(code="ruzhou-water", pack_code="ruzhou_water"))
    refused = api.post(f"/api/v1/records/{foreign.pk}/link/", {"activity": activity["id"]}, format="json")
    assert refused.status_code == 404 and refusals("not_found").exists()


def test_idempotency_keys_are_forgotten_after_a_month(api):
    from integration.api.idempotency import KEEP_DAYS, forget_old
    from integration.models import IdempotencyKey

    api.post("/api/v1/cases/", case_body(), format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert forget_old() == 0
    assert forget_old(timezone.now() + dt.timedelta(days=KEEP_DAYS + 1)) == 1
    assert not IdempotencyKey.objects.exists()
