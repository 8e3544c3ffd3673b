"""Records and activities as an officer meets them: the activity lists its records, offers the clips filed before it
was recorded, the link drop-down says why it is empty, and clip times read in local time (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt

import pytest

from evidence.models import Record
from ledger.models import Event
from tests.conftest import login
from tests.factories import ActivityFactory, AgencyFactory, RecordFactory, officer

UTC = dt.UTC


@pytest.fixture
def world(db):
    agency = AgencyFactory(code="lushan-finance", name="鲁山县财政局", pack_code="lushan_finance")
    person, other = officer(agency, full_name="张三"), officer(agency, full_name="李四")
    start = dt.datetime(2026, 11, 20, 11, 30, tzinfo=UTC)  # 19:30 in Lushan
    activity = ActivityFactory(agency=agency, planned_start=start, planned_end=start + dt.timedelta(hours=1),
                               officers=[person])

    def clip(who, minutes, **kwargs):
        begin = start + dt.timedelta(minutes=minutes)
        kwargs.setdefault("link_state", "unmatched")
        return RecordFactory(agency=agency, officer=who, recorded_start=begin,
                             recorded_end=begin + dt.timedelta(minutes=5), **kwargs)

    return {"agency": agency, "officer": person, "other": other, "activity": activity, "clip": clip}


def test_the_activity_page_lists_its_records_and_offers_the_clips_filed_before_it(client, world):
    activity, clip = world["activity"], world["clip"]
    linked = clip(world["officer"], 5, activity=activity, link_state="manual")
    early = clip(world["officer"], 22)  # 11:52 UTC, 19:52 in Lushan
    far = clip(world["officer"], 60 * 20)  # another day's work
    others = clip(world["other"], 22)  # not an officer of this activity
    login(client, world["officer"])
    page = client.get(f"/activities/{activity.pk}/").content.decode()
    assert linked.original_name in page and f"/evidence/{linked.pk}/" in page
    assert early.original_name in page and "19:52:00" in page and "11:52" not in page
    assert far.original_name not in page and others.original_name not in page
    response = client.post(f"/activities/{activity.pk}/records/link/",
                           {"record": [str(early.pk), str(others.pk), str(far.pk)]})
    assert response.status_code == 302
    assert {r.pk for r in Record.objects.filter(activity=activity)} == {linked.pk, early.pk}
    assert Event.objects.filter(verb="record.link", object_id=str(early.pk)).exists()
    assert not Event.objects.filter(verb="record.link", object_id=str(others.pk)).exists()


def test_only_those_who_file_records_may_link_from_the_activity(client, world):
    from authz.roles import Role
    from tests.factories import UserFactory

    early = world["clip"](world["officer"], 22)
    login(client, UserFactory(agency=world["agency"], roles=(Role.SUPERVISOR,)))
    response = client.post(f"/activities/{world['activity'].pk}/records/link/", {"record": [str(early.pk)]})
    assert response.status_code == 403
    early.refresh_from_db()
    assert early.activity_id is None


def test_an_empty_link_drop_down_says_why_and_where_to_go(client, world):
    lonely = world["clip"](world["officer"], 60 * 24 * 3)
    login(client, world["officer"])
    page = client.get(f"/evidence/{lonely.pk}/").content.decode()
    assert "12 小时" in page and "/activities/new/" in page and 'name="activity"' not in page
    near = world["clip"](world["officer"], 10)
    page = client.get(f"/evidence/{near.pk}/").content.decode()
    assert 'name="activity"' in page and "19:30" in page  # the activity named by its local time


def test_the_interruption_note_form_shows_clip_times_in_local_time(client, world):
    activity = world["activity"]
    world["clip"](world["officer"], 22, activity=activity, link_state="manual")
    login(client, world["officer"])
    page = client.get(f"/activities/{activity.pk}/notes/new/").content.decode()
    assert "19:52:00–19:57:00" in page and "11:52" not in page
