"""A connected system sees cases and records marked confidential (国家秘密、商业秘密、个人隐私) only when the security
administrator has cleared the account it acts as, as for a person (000/1/10); until then its reads, its pull feed and
its webhooks leave them out, and asking for one by id is answered as for a case that does not exist."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from authz.roles import Role
from cases.models import Case
from integration import accounts, webhooks
from integration.models import Delivery
from ledger.models import Event
from org.services import set_clearances
from tests.factories import CaseFactory, RecordFactory, UserFactory, officer
from tests.test_integration_api import ALL, case_body, client_for, issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(agency):
    officer(agency, staff_number="A1001")
    system = accounts.create_account(agency, name="鲁山县财政执法办案系统")
    plain = CaseFactory(agency=agency)
    secret = CaseFactory(agency=agency, commercial_secret=True)
    state = CaseFactory(agency=agency, state_secret=True)
    records = {case.pk: RecordFactory(agency=agency, case=case) for case in (plain, secret, state)}
    return system, plain, secret, state, records


def _case_ids(api) -> set[int]:
    return {row["id"] for row in api.get("/api/v1/cases/").json()["results"]}


def _record_ids(api) -> set[int]:
    return {row["id"] for row in api.get("/api/v1/records/").json()["results"]}


def _feed_objects(api, verb: str) -> set[str]:
    return {e["object_id"] for e in api.get("/api/v1/feed/", {"verb": verb, "limit": 500}).json()["events"]}


def test_000_1_10_a_token_not_cleared_reads_no_marked_case_or_record(scene, receiver_hook):
    system, plain, secret, state, records = scene
    api = client_for(issue(system, operations=ALL)[1])
    assert _case_ids(api) == {plain.pk}
    assert _record_ids(api) == {records[plain.pk].pk}
    # Forged requests: a marked case asked for by id, its records by case, an edit of it.
    assert api.get(f"/api/v1/cases/{secret.pk}/").status_code == 404
    assert api.get("/api/v1/records/", {"case": secret.pk}).json()["results"] == []
    assert api.patch(f"/api/v1/cases/{secret.pk}/", {"title": "改"}, format="json").status_code in (403, 404)
    assert Case.objects.get(pk=secret.pk).title == secret.title
    # A marked case the system itself sends is filed, and then withheld from its feed and its webhooks.
    hook, _secret = webhooks.add_webhook(system, url=receiver_hook, verbs=["case.create"])
    made = api.post("/api/v1/cases/", case_body(commercial_secret=True), format="json")
    assert made.status_code == 201
    marked_id = str(Case.objects.get(number=case_body()["number"]).pk)
    created = Event.objects.get(verb="case.create", object_id=marked_id)
    assert marked_id not in _feed_objects(api, "case.create")
    assert not Delivery.objects.filter(webhook=hook, event_seq=created.seq).exists()
    # The page counts nothing it hides, and neither does the API (000/1/10: hidden even from counts).
    assert "withheld" not in api.get("/api/v1/cases/").json()


def test_000_1_10_a_system_cleared_by_the_security_administrator_reads_that_mark_only(scene, client, agency,
                                                                                       receiver_hook):
    system, plain, secret, state, records = scene
    security = UserFactory(agency=agency, roles=(Role.SECURITY_ADMIN,))
    client.force_login(security)
    page = client.get("/access/clearances/")
    assert system.name in page.content.decode()  # the system is listed beside the staff
    client.post("/access/clearances/", {"user": system.principal_id, "marks": ["commercial_secret"]})
    event = Event.objects.get(verb="user.clearance", result="done", object_id=str(system.principal_id))
    assert event.after == {"clearances": ["commercial_secret"]} and event.actor == security

    api = client_for(issue(system, operations=ALL)[1])
    assert _case_ids(api) == {plain.pk, secret.pk}  # a state secret stays hidden: not cleared for it
    assert _record_ids(api) == {records[plain.pk].pk, records[secret.pk].pk}
    assert api.get(f"/api/v1/cases/{secret.pk}/").status_code == 200
    assert api.get(f"/api/v1/cases/{state.pk}/").status_code == 404
    hook, _secret = webhooks.add_webhook(system, url=receiver_hook, verbs=["case.create"])
    assert api.post("/api/v1/cases/", case_body(commercial_secret=True), format="json").status_code == 201
    marked_id = str(Case.objects.get(number=case_body()["number"]).pk)
    assert marked_id in _feed_objects(api, "case.create")
    created = Event.objects.get(verb="case.create", object_id=marked_id)
    assert Delivery.objects.filter(webhook=hook, event_seq=created.seq).exists()

    # The system administrator sees the clearance, and who set it, on the system's page.
    admin = UserFactory(agency=agency, roles=(Role.SYSTEM_ADMIN,))
    client.force_login(admin)
    shown = client.get(f"/settings/systems/{system.pk}/").content.decode()
    assert "商业秘密" in shown and security.get_username() in shown


def test_000_1_10_only_the_security_administrator_clears_a_system(scene, client, agency):
    system, _plain, secret, _state, _records = scene
    admin = UserFactory(agency=agency, roles=(Role.SYSTEM_ADMIN,))
    client.force_login(admin)
    # The system administrator manages the system but cannot widen what it sees (三员分立).
    assert client.post("/access/clearances/", {"user": system.principal_id,
                                               "marks": ["commercial_secret"]}).status_code == 403
    with pytest.raises(ValidationError):
        set_clearances(system.principal, ["commercial_secret"], actor=admin)
    assert Event.objects.filter(verb="user.clearance", result="denied", object_id=str(system.principal_id)).exists()
    system.principal.refresh_from_db()
    assert system.principal.clearances == []
    assert "未获准查看任何保密标记" in client.get(f"/settings/systems/{system.pk}/").content.decode()
    assert secret.pk not in _case_ids(client_for(issue(system, operations=ALL)[1]))


@pytest.fixture
def receiver_hook():
    return "http://127.0.0.1:9/hook"  # never posted to here: the tests look at the deliveries written


def test_000_1_10_events_reaching_a_marked_case_through_what_they_name_are_withheld(scene, agency):
    from compliance.models import Finding
    from integration.withheld import withheld
    from tests.factories import ActivityFactory

    system, plain, secret, _state, records = scene
    inside = ActivityFactory(agency=agency, case=secret)
    outside = ActivityFactory(agency=agency, case=plain)
    private = RecordFactory(agency=agency, case=plain, confidentiality="personal_privacy")
    finding = Finding.objects.create(agency=agency, activity=inside, rule="not_recorded", fingerprint="not_recorded",
                                     severity="high", cites="000/2/8", opened_at=inside.planned_start)

    def event(seq, object_type, object_id, after=None):
        return Event(seq=seq, verb="x", object_type=object_type, object_id=str(object_id), after=after)

    events = [event(1, "cases.case", plain.pk), event(2, "cases.case", secret.pk),
              event(3, "cases.activity", inside.pk), event(4, "cases.activity", outside.pk),
              event(5, "compliance.finding", finding.pk), event(6, "evidence.record", private.pk),
              event(7, "evidence.record", records[plain.pk].pk),
              event(8, "org.user", 1, after={"record": records[secret.pk].pk}),
              event(9, "org.user", 1, after={"records": [records[plain.pk].pk]})]
    assert withheld(system.principal, events) == {2, 3, 5, 6, 8}
    set_clearances(system.principal, ["commercial_secret", "personal_privacy"],
                   actor=UserFactory(agency=agency, roles=(Role.SECURITY_ADMIN,)))
    system.principal.refresh_from_db()
    assert withheld(system.principal, events) == set()


def test_000_1_10_an_event_queued_before_its_case_was_marked_is_withheld_when_it_would_leave(scene, receiver_hook,
                                                                                             monkeypatch):
    system, plain, _secret, _state, _records = scene
    hook, _key = webhooks.add_webhook(system, url=receiver_hook, verbs=["case.update"])
    api = client_for(issue(system, operations=ALL)[1])
    assert api.patch(f"/api/v1/cases/{plain.pk}/", {"title": "改后的案由"}, format="json").status_code == 200
    delivery = Delivery.objects.get(webhook=hook, verb="case.update")
    Case.objects.filter(pk=plain.pk).update(personal_privacy=True)  # marked before the worker sends it
    posted = []
    monkeypatch.setattr(webhooks, "_post", lambda url, body, headers: posted.append(body) or 200)
    sent = webhooks.deliver(delivery.pk)
    assert sent.state == Delivery.State.WITHHELD and posted == []
    assert webhooks.deliver(delivery.pk) is None  # nothing left to send
    Case.objects.filter(pk=plain.pk).update(personal_privacy=False)
    Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.PENDING)
    assert webhooks.deliver(delivery.pk).state == Delivery.State.DELIVERED and len(posted) == 1  # the control
