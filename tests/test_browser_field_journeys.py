"""The journeys issue 24 names, in the system Chromium: an officer on a phone (375 px) linking the clips filed before
the activity and writing an interruption note; a legal reviewer at a desk (1366 px) reviewing a decision on a
marked case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from authz.roles import Role
from evidence.models import Record
from tests.factories import ActivityFactory, CaseFactory, RecordFactory, UserFactory, officer
from tests.test_browser_journeys import _log_in, browser  # noqa: F401 (the shared Chromium)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
DESK = {"width": 1366, "height": 800}


@pytest.fixture
def open_page(browser):  # noqa: F811
    contexts = []

    def open_at(viewport: dict):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport)
        contexts.append(context)
        return context.new_page()

    yield open_at
    for context in contexts:
        context.close()


def _fits(page) -> None:
    """The page itself never scrolls sideways, and every menu entry can be brought into view and tapped."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"
    links = page.locator("header.top nav a")
    for index in range(links.count()):
        link = links.nth(index)
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, link.inner_text()
        assert box["height"] < 40, f"menu entry {link.inner_text()} wraps"  # one line, not a character a line


def test_an_officer_on_a_phone_links_early_clips_and_explains_a_gap(open_page, live_server, agency):
    person = officer(agency, full_name="张执法")
    start = (timezone.now() - dt.timedelta(days=1)).replace(second=0, microsecond=0)
    activity = ActivityFactory(agency=agency, place="城关镇建设路18号", planned_start=start,
                               planned_end=start + dt.timedelta(hours=1), officers=[person])
    early = [RecordFactory(agency=agency, officer=person, link_state="unmatched",
                           original_name=f"LU-BWC-0001_{n}.mp4", recorded_start=start + dt.timedelta(minutes=m),
                           recorded_end=start + dt.timedelta(minutes=m + 20)) for n, m in ((1, 0), (2, 35))]
    page = open_page(PHONE)
    _log_in(page, live_server, person)
    _fits(page)
    for path in ("/activities/", "/evidence/", "/evidence/upload/", "/compliance/findings/"):
        page.goto(f"{live_server.url}{path}")
        _fits(page)
    page.goto(f"{live_server.url}/activities/{activity.pk}/")
    _fits(page)
    assert page.get_by_text("登记该活动之前已入库的记录").is_visible()
    page.get_by_role("button", name="关联勾选的记录").click()
    assert page.get_by_text("已将 2 条记录关联到该执法活动").is_visible()
    assert set(Record.objects.filter(activity=activity).values_list("pk", flat=True)) == {r.pk for r in early}
    _fits(page)

    page.goto(f"{live_server.url}/activities/{activity.pk}/notes/new/")
    _fits(page)
    local = timezone.localtime(early[0].recorded_start)
    assert page.get_by_text(f"{local:%H:%M:%S}", exact=False).first.is_visible()  # Asia/Shanghai, not UTC
    page.get_by_label("中断原因").select_option(index=1)
    page.get_by_label("中断开始时间").fill(f"{timezone.localtime(early[0].recorded_end):%Y-%m-%dT%H:%M:%S}")
    page.get_by_label("恢复记录时间").fill(f"{timezone.localtime(early[1].recorded_start):%Y-%m-%dT%H:%M:%S}")
    page.get_by_label("情况说明").fill("检查途中记录仪电量耗尽，更换电池后继续录像")
    page.get_by_label("依据").fill("设备电量不足")
    page.get_by_role("button", name="提交审核").click()
    assert page.get_by_text("中断工作记录已提交审核").is_visible()
    _fits(page)


def test_the_legal_reviewer_reviews_a_decision_on_a_marked_case_at_a_desk(open_page, live_server, db):
    from cases import decisions
    from tests.factories import AgencyFactory

    agency = AgencyFactory(code="ruzhou-water", name="汝州市水利局", pack_code="ruzhou_water")
    drafter = officer(agency, full_name="王承办")
    reviewer = UserFactory(agency=agency, roles=(Role.LEGAL_REVIEWER,), full_name="刘法制")
    case = CaseFactory(agency=agency, handlers=[drafter], party_kind="person", commercial_secret=True)
    decision = decisions.draft(case, decision_type="fine", amount_yuan=20_000, measures="罚款两万元",
                               law_requires_review=False, actor=drafter)
    decisions.submit_for_review(decision, {m: "附件一" for m in decisions.materials_needed(decision)}, actor=drafter)
    page = open_page(DESK)
    _log_in(page, live_server, reviewer)
    page.get_by_role("link", name=f"{case.number}", exact=False).first.click()
    assert page.get_by_role("heading", name="法制审核").first.is_visible()
    assert "刘法制" in page.content()  # the drafter and the reviewer both read who reviews
    from playwright.sync_api import expect

    for index in range(len(decisions.points_to_review(decision))):
        # The words are asked for while the point is not ticked as meeting the requirement, and not after.
        expect(page.locator(f"#finding-{index}")).to_have_attribute("required", "")
        page.locator(f"input[name=ok-{index}]").check()
        expect(page.locator(f"#finding-{index}")).not_to_have_attribute("required", "")
    page.get_by_label("审核意见").fill("同意")
    page.get_by_role("button", name="记录审核意见").click()
    assert page.get_by_text("法制审核意见已记录").is_visible()
    decision.refresh_from_db()
    assert decision.state == "review_passed"
