"""Retention through the pages: the record's panel, holds, the due list, proposing and approving a purge."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from ledger.models import Event
from retention import services
from retention.models import Hold, PurgeProposal
from tests.access_world import build
from tests.conftest import login


@pytest.fixture
def w(db, tmp_path):
    return build("lushan_finance", tmp_path)


def test_the_record_page_shows_its_retention_end_rule_and_article(client, w):
    login(client, w.archivist)
    page = client.get(f"/evidence/{w.clip.pk}/").content.decode()
    end = (timezone.localdate() + dt.timedelta(days=366)).year
    assert "《鲁山县财政局音像记录管理制度》第十五条" in page and str(end) in page


def test_000_2_16_the_archivist_places_a_long_term_hold_from_the_record_page(client, w):
    login(client, w.archivist)
    refused = client.post(f"/evidence/{w.clip.pk}/hold/", {"kind": "long_term", "trigger": "", "reason": "投诉"})
    assert refused.status_code == 302 and not Hold.objects.exists()
    client.post(f"/evidence/{w.clip.pk}/hold/", {"kind": "long_term", "trigger": "obstruction_or_assault",
                                                 "reason": "当事人阻碍执行公务"})
    hold = Hold.objects.get()
    assert hold.cites == "000/2/16/(二)"
    assert "当事人阻碍执行公务" in client.get(f"/evidence/{w.clip.pk}/").content.decode()
    client.force_login(w.colleague)
    assert client.post(f"/evidence/{w.clip.pk}/hold/", {"kind": "litigation", "reason": "x"}).status_code == 403
    assert Event.objects.filter(verb="retention.hold", result="denied", actor=w.colleague).exists()
    assert not Hold.objects.filter(kind="litigation").exists()


def test_the_due_list_proposal_and_approval_through_the_pages(client, w):
    with time_machine.travel(timezone.now() + dt.timedelta(days=400)):
        login(client, w.archivist)
        page = client.get("/retention/")
        due = [r.pk for r in page.context["page"]]
        assert w.clip.pk in due and w.decision.pk not in due  # documents have no AV term in this pack
        assert client.post("/retention/propose/", {"records": [w.clip.pk], "reason": ""}).status_code == 302
        assert not PurgeProposal.objects.exists()
        client.post("/retention/propose/", {"records": [w.clip.pk], "reason": "例行检查，无保存价值"})
        proposal = PurgeProposal.objects.get()
        assert w.clip.pk not in [r.pk for r in client.get("/retention/").context["page"]]
        client.force_login(w.head)
        assert "待审批的清除：1" in client.get("/").content.decode().replace(" ", "")
        client.post("/retention/decide/", {"proposals": [proposal.pk], "decision": "approve", "comment": "同意"})
        proposal.refresh_from_db()
        assert proposal.state == PurgeProposal.State.APPROVED
        assert services.purge_approved() == 1
        assert "经批准清除" in client.get(f"/evidence/{w.clip.pk}/").content.decode()


def test_001_3_8_a_record_of_an_open_case_says_in_chinese_why_it_has_no_end_date(client, db, tmp_path):
    w = build("pingdingshan_emergency", tmp_path, archived=False)
    login(client, w.archivist)
    page = client.get(f"/evidence/{w.clip.pk}/").content.decode()
    assert "案件尚未归档" in page and "case not archived yet" not in page


def test_000_2_15_a_purge_of_nothing_is_not_reported_as_done(client, w):
    with time_machine.travel(timezone.now() + dt.timedelta(days=400)):
        login(client, w.archivist)
        answer = client.post("/retention/propose/", {"reason": "例行检查，无保存价值"}, follow=True)
        text = answer.content.decode()
        assert "未提出" in text and "0 条" not in text
        assert Event.objects.filter(verb="retention.propose_purge", result="denied").exists()
        client.force_login(w.head)
        text = client.post("/retention/decide/", {"decision": "approve", "comment": "同意"}, follow=True)
        assert "未作决定" in text.content.decode() and "后台任务将清除" not in text.content.decode()


def test_000_2_15_an_approved_purge_shows_as_pending_until_the_job_has_run(client, w):
    with time_machine.travel(timezone.now() + dt.timedelta(days=400)):
        login(client, w.archivist)
        client.post("/retention/propose/", {"records": [w.clip.pk], "reason": "例行检查，无保存价值"})
        assert "待审批" in client.get(f"/evidence/{w.clip.pk}/").content.decode()
        proposal = PurgeProposal.objects.get()
        client.force_login(w.head)
        client.post("/retention/decide/", {"proposals": [proposal.pk], "decision": "approve", "comment": "同意"})
        record_page = client.get(f"/evidence/{w.clip.pk}/").content.decode()
        assert 'data-purge-state="approved"' in record_page and "已批准，等待清除" in record_page
        overview = client.get("/retention/")
        assert [p.pk for p in overview.context["under_way"]] == [proposal.pk]
        assert w.clip.shown_name in overview.content.decode()
        assert services.purge_approved() == 1
        assert not client.get("/retention/").context["under_way"]
        assert "data-purge-state" not in client.get(f"/evidence/{w.clip.pk}/").content.decode()
