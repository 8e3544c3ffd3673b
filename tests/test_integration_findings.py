"""Findings opened and closed are ledger events, so the outbound feed (pull and webhook) carries them; a rerun of the
engine with nothing changed writes none."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from compliance import services
from compliance.models import Finding
from evidence import services as evidence
from integration import accounts, webhooks
from integration.models import Delivery
from ledger.display import changes
from ledger.models import Event
from tests.factories import officer
from tests.test_compliance import END, START, activity_for, agency_for, clip, minutes
from tests.test_integration_api import client_for, issue
from tests.test_integration_feed import receiver  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    agency = agency_for("pingdingshan_emergency")
    person = officer(agency)
    activity = activity_for(agency, person, "daily_inspection", "inspection")
    loose = clip(activity, person, START - minutes(1), END + minutes(1))
    loose.activity = None
    loose.save(update_fields=["activity"])
    return agency, person, activity, loose


def _finding_events(finding: Finding):
    return list(Event.objects.filter(object_type="compliance.finding", object_id=str(finding.pk)).order_by("seq"))


def test_a_finding_opened_then_closed_is_in_the_pull_feed_twice_and_delivered_by_webhook(scene, receiver):  # noqa: F811
    agency, person, activity, loose = scene
    system = accounts.create_account(agency, name="省行政执法监督平台")
    url, handler = receiver
    hook, secret = webhooks.add_webhook(system, url=url, verbs=["finding.open", "finding.close"])
    services.refresh([activity.pk])
    finding = Finding.objects.get(activity=activity, rule="not_recorded", closed_at=None)
    evidence.link_record(loose, activity, actor=person)  # the missing recording is filed: the finding is resolved
    finding.refresh_from_db()
    assert finding.closed_at is not None

    opened, closed = _finding_events(finding)
    assert (opened.verb, closed.verb) == ("finding.open", "finding.close")
    assert opened.agency_code == closed.agency_code == agency.code
    assert opened.after["rule"] == closed.after["rule"] == "not_recorded"
    assert opened.after["activity"] == closed.after["activity"] == activity.pk
    linked = Event.objects.get(verb="record.link", object_id=str(loose.pk))
    assert closed.detail["trigger"] == linked.seq and closed.seq > linked.seq  # says which change resolved it
    assert closed.detail["reason"].startswith("Resolved when a change")  # kept as its message id

    feed = client_for(issue(system, operations=["feed.read"])[1]).get(
        "/api/v1/feed/", {"verb": ["finding.open", "finding.close"]}).json()
    mine = [e for e in feed["events"] if e["object_id"] == str(finding.pk)]
    assert [e["verb"] for e in mine] == ["finding.open", "finding.close"]
    assert mine[0]["after"]["rule"] == "not_recorded" and mine[1]["detail"]["reason"] == closed.detail["reason"]

    deliveries = Delivery.objects.filter(webhook=hook, event_seq__in=[opened.seq, closed.seq]).order_by("event_seq")
    assert [d.verb for d in deliveries] == ["finding.open", "finding.close"]
    for delivery in deliveries:
        assert webhooks.deliver(delivery.pk).state == "delivered"
    messages = [json.loads(body)["event"] for body, headers in handler.received
                if webhooks.verify(secret, body, headers["X-Lawtrace-Signature"])]
    assert [(m["verb"], m["object_id"]) for m in messages if m["object_id"] == str(finding.pk)] == [
        ("finding.open", str(finding.pk)), ("finding.close", str(finding.pk))]


def test_a_rerun_with_nothing_changed_writes_no_finding_event(scene):
    _agency, _person, activity, _loose = scene
    services.recompute_all()
    written = Event.objects.filter(verb__in=["finding.open", "finding.close"]).count()
    assert written == Finding.objects.filter(activity=activity).count() > 0  # one event per finding opened
    run = services.recompute_all()
    services.refresh([activity.pk])
    assert (run.opened, run.closed) == (0, 0)
    assert Event.objects.filter(verb__in=["finding.open", "finding.close"]).count() == written


def test_a_recompute_writes_its_findings_in_one_append(scene):
    agency, person, activity, _loose = scene
    others = [activity_for(agency, person, "daily_inspection", "inspection") for _ in range(5)]
    with CaptureQueriesContext(connection) as queries:
        services.refresh([activity.pk, *(a.pk for a in others)])
    statements = [q["sql"] for q in queries.captured_queries]
    assert Event.objects.filter(verb="finding.open").count() >= 6
    # One executemany for the events, one query for the webhooks that may follow them, however many findings.
    assert len([s for s in statements if f"INSERT INTO {Event._meta.db_table} " in s]) == 1
    assert len([s for s in statements if s.startswith('SELECT "integration_webhook"')]) == 1


def test_a_finding_event_is_stored_once_and_read_in_either_language(scene):
    _agency, _person, activity, _loose = scene
    services.refresh([activity.pk])
    event = Event.objects.filter(verb="finding.open", after__rule="not_recorded").get()
    with translation.override("zh-hans"):
        chinese = [(c.label, c.after) for c in changes(event)]
    with translation.override("en"):
        english = [(c.label, c.after) for c in changes(event)]
    reason = event.detail["reason"]
    assert ("rule", "required recording missing") in english and ("reason", reason) in english
    assert ("规则", "应记录而未记录") in chinese
    assert dict(chinese)["理由"] not in ("", reason)  # stored once, shown in the reader's language
