"""The access journeys through the UI: filing, deciding, viewing under a grant, revoking mid-stream, the register."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from access import services
from access.models import AccessRequest
from ledger.models import Event
from tests.access_world import application, build
from tests.conftest import login

LETTER = {"introduction_letter": "检介〔2026〕7号", "valid_id": "410423198001010011"}


@pytest.fixture
def w(db, tmp_path):
    return build("lushan_finance", tmp_path)


def _until() -> str:
    return (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


def test_000_1_5_a_colleague_asks_the_head_approves_and_the_colleague_views(client, w):
    login(client, w.colleague)
    assert client.get(f"/evidence/{w.clip.pk}/play/").status_code == 403
    form = client.get(f"/access/new/?case={w.case.pk}&records={w.clip.pk}")
    assert form.status_code == 200
    offered = dict(form.context["form"].fields["requester_type"].widget.choices)
    assert "other_staff" in offered and "case_officer" not in offered  # she handles no case (000/1/4-5)
    data = {"requester_type": "other_staff", "requester_user": w.colleague.pk, "purpose": "work",
            "reason": "短", "actions": ["view"], "case": w.case.pk, "records": [w.clip.pk], "valid_until": _until()}
    refused = client.post("/access/new/", data)
    errors = str(refused.context["form"].non_field_errors())
    assert refused.status_code == 200 and "《鲁山县财政局行政执法记录信息调阅监督制度》第五条" in errors
    assert refused.context["form"]["reason"].value() == "短"  # nothing typed is lost
    data["reason"] = "为准备本局执法案卷评查材料，需要查阅该现场记录"
    response = client.post("/access/new/", data)
    access = AccessRequest.objects.get()
    assert response.status_code == 302 and access.status == AccessRequest.Status.PENDING
    # The requester cannot approve: an officer holds no approving capability at all, and the attempt is on record.
    assert client.post(f"/access/{access.pk}/decide/", {"decision": "approve"}).status_code == 403
    assert Event.objects.filter(verb="access.decide", result="denied", actor=w.colleague).exists()
    access.refresh_from_db()
    assert access.status == AccessRequest.Status.PENDING

    client.force_login(w.head)
    page = client.get(f"/access/{access.pk}/")
    assert page.context["can_decide"]
    client.post(f"/access/{access.pk}/decide/", {"decision": "approve", "comment": "同意"})
    access.refresh_from_db()
    assert access.status == AccessRequest.Status.GRANTED

    client.force_login(w.colleague)
    play = client.get(f"/evidence/{w.clip.pk}/play/")
    assert play.status_code == 200
    view = Event.objects.filter(verb="record.view", actor=w.colleague).latest("seq")
    assert view.detail["grant"] == access.pk


def test_a_grant_revoked_mid_stream_stops_the_next_range(client, w):
    from evidence.derivatives import make_all

    make_all(w.clip)  # the playback copy the stream serves
    access = services.submit_request(application(w, "other_staff", ["view"], person=w.colleague),
                                     actor=w.colleague)
    services.decide(access, actor=w.head, approve=True)
    login(client, w.colleague)
    token = client.get(f"/evidence/{w.clip.pk}/play/").context["token"]
    first = client.get(f"/evidence/{w.clip.pk}/stream/{token}/", HTTP_RANGE="bytes=0-99")
    assert first.status_code == 206
    services.revoke(access, actor=w.archivist, reason="申请人调离")
    second = client.get(f"/evidence/{w.clip.pk}/stream/{token}/", HTTP_RANGE="bytes=100-199")
    assert second.status_code == 403
    assert Event.objects.filter(verb="record.stream", result="denied", actor=w.colleague).exists()


def test_a_range_request_checks_access_in_few_queries_and_writes_nothing(client, w):
    """A video plays as dozens of Range requests, each checked afresh (above): the check is one query for sight and
    action together, the pack in force is read once per request, and the session is not rewritten each time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evidence.derivatives import make_all

    make_all(w.clip)
    login(client, w.handler)
    token = client.get(f"/evidence/{w.clip.pk}/play/").context["token"]
    client.get(f"/evidence/{w.clip.pk}/stream/{token}/", HTTP_RANGE="bytes=0-99")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/evidence/{w.clip.pk}/stream/{token}/", HTTP_RANGE="bytes=100-199").status_code == 206
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) <= 8, statements
    assert sum("pack.activate" in sql for sql in statements) == 1
    assert not [sql for sql in statements if sql.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]


def test_an_outside_request_is_filed_by_the_archivist_with_the_papers_seen(client, w):
    login(client, w.archivist)
    data = {"requester_type": "procuratorate", "requester_name": "李检察官", "requester_unit": "鲁山县人民检察院",
            "requester_id_number": "410423198001010011", "purpose": "litigation", "reason": "办理公益诉讼案件调取证据",
            "actions": ["view", "photocopy"], "case": w.case.pk, "valid_until": _until(),
            "credential_introduction_letter": "鲁检介〔2026〕3号", "credential_valid_id": "410423198001010011"}
    refused = client.post("/access/new/", data)  # not yet checked against the originals (000/1/6)
    assert "《鲁山县财政局行政执法记录信息调阅监督制度》第六条" in str(refused.context["form"].non_field_errors())
    response = client.post("/access/new/", {**data, "credentials_verified": "on"})
    access = AccessRequest.objects.get()
    assert response.status_code == 302 and access.status == AccessRequest.Status.GRANTED
    assert access.records.count() == 3  # no items chosen: every item of the case the rule admits


def test_the_register_lists_every_look_and_copy_and_prints(client, w):
    access = services.submit_request(application(w, "procuratorate", ["view", "photocopy"], credentials=LETTER),
                                     actor=w.archivist)
    login(client, w.handler)
    client.get(f"/evidence/{w.clip.pk}/play/")  # the case officer's direct look
    client.force_login(w.archivist)
    client.get(f"/evidence/{w.clip.pk}/play/")
    register = client.get("/access/register/")
    assert register.status_code == 200
    rows = register.context["rows"]
    assert [r.requester for r in rows] == ["承办人甲", "王某"]
    assert rows[1].unit == "某市人民检察院" and "检介〔2026〕12号" not in rows[1].credentials
    assert "检介〔2026〕7号" in rows[1].credentials
    assert "《鲁山县财政局行政执法记录信息调阅监督制度》第六条" in rows[1].approver
    assert rows[0].approver != rows[1].approver
    pdf = client.get("/access/register/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    assert "王某" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    xlsx = client.get("/access/register/?format=xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c.value for c in sheet[5]]
    assert "王某" in values and "某市人民检察院" in values
    filtered = client.get("/access/register/?q=承办人")
    assert [r.requester for r in filtered.context["rows"]] == ["承办人甲"]
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert client.get(f"/access/register/?since={future}").context["rows"] == []
    assert access.pk


def test_officers_do_not_read_the_register_and_the_attempt_is_recorded(client, w):
    login(client, w.colleague)
    assert client.get("/access/register/").status_code == 403
    assert Event.objects.filter(verb="access.register", result="denied").exists()


def test_the_request_list_shows_staff_their_own_and_the_archivist_all(client, w):
    services.submit_request(application(w, "other_staff", ["view"], person=w.colleague), actor=w.colleague)
    services.submit_request(application(w, "procuratorate", ["view"], credentials=LETTER), actor=w.archivist)
    login(client, w.handler)
    assert client.get("/access/").context["page"].paginator.count == 0
    client.force_login(w.colleague)
    assert client.get("/access/").context["page"].paginator.count == 1
    client.force_login(w.archivist)
    assert client.get("/access/").context["page"].paginator.count == 2
    assert client.get("/access/?q=王某").context["page"].paginator.count == 1
    assert client.get("/access/?status=pending").context["page"].paginator.count == 1


def test_000_1_10_the_security_administrator_clears_staff_for_marks(client, w):
    from authz.roles import Role
    from evidence.models import Record
    from tests.factories import UserFactory

    Record.objects.filter(pk=w.transcript.pk).update(confidentiality="state_secret")
    security = UserFactory(agency=w.agency, roles=(Role.SECURITY_ADMIN,))
    login(client, w.supervisor)
    assert client.get("/evidence/").context["page"].paginator.count == 2
    assert client.get(f"/evidence/{w.transcript.pk}/").status_code == 404
    assert client.post("/access/clearances/", {"user": w.supervisor.pk, "marks": ["state_secret"]}).status_code == 403
    client.force_login(security)
    page = client.get("/access/clearances/")
    assert [m for m, _ in page.context["marks"]] == ["state_secret", "commercial_secret", "personal_privacy"]
    client.post("/access/clearances/", {"user": w.supervisor.pk, "marks": ["state_secret"]})
    event = Event.objects.get(verb="user.clearance", result="done")
    assert event.before == {"clearances": []} and event.after == {"clearances": ["state_secret"]}
    client.post("/access/clearances/", {"user": w.supervisor.pk, "marks": ["top_secret"]})
    w.supervisor.refresh_from_db()
    assert w.supervisor.clearances == ["state_secret"]
    client.force_login(w.supervisor)
    assert client.get("/evidence/").context["page"].paginator.count == 3


def test_000_1_10_a_marked_case_is_masked_wherever_an_activity_record_or_request_names_it(client, w):
    from cases.models import Case
    from tests.factories import ActivityFactory

    services.submit_request(application(w, "procuratorate", ["view"], credentials=LETTER), actor=w.archivist)
    Case.objects.filter(pk=w.case.pk).update(personal_privacy=True)
    activity = ActivityFactory(agency=w.agency, case=w.case, officers=[w.colleague])
    pages = ["/activities/", f"/activities/{activity.pk}/", "/access/", "/"]
    login(client, w.supervisor)
    for url in pages:
        html = client.get(url).content.decode()
        assert w.case.number not in html and w.case.title not in html, url
    assert "保密案件" in client.get(f"/activities/{activity.pk}/").content.decode()
    for search in (f"/activities/?q={w.case.title}", f"/access/?q={w.case.number}"):
        assert client.get(search).context["page"].paginator.count == 0, search  # no probing titles by search
    assert client.get(f"/cases/{w.case.pk}/").status_code == 404

    client.force_login(w.colleague)  # took part in the activity, does not handle the case
    assert w.case.number not in client.get("/").content.decode()
    client.force_login(w.handler)
    html = client.get(f"/activities/{activity.pk}/").content.decode()
    assert f'href="/cases/{w.case.pk}/"' in html and w.case.title in html
    w.supervisor.clearances = ["personal_privacy"]
    w.supervisor.save()
    client.force_login(w.supervisor)
    assert w.case.number in client.get("/activities/").content.decode()
    assert client.get(f"/activities/?q={w.case.title}").context["page"].paginator.count == 1


def test_000_1_3_every_look_at_a_record_stays_findable_on_its_page(client, w):
    from django.db import transaction

    from ledger.events import record_event

    first = Event.objects.filter(object_type="evidence.record", object_id=str(w.clip.pk)).order_by("seq").first()
    with transaction.atomic():
        for _ in range(60):
            record_event("evidence.view", actor=w.archivist, obj=w.clip)
    login(client, w.archivist)
    page = client.get(f"/evidence/{w.clip.pk}/")
    events = page.context["events"]
    assert len(events) == 50 and events.paginator.count > 60 and events.has_next()
    assert 'href="?history=2#history"' in page.content.decode()
    last = client.get(f"/evidence/{w.clip.pk}/?history={events.paginator.num_pages}").context["events"]
    assert list(last)[-1].seq == first.seq  # the oldest event, the filing, is on the last page
