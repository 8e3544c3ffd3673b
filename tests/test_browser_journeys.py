"""Main journeys in the system Chromium, through the pages a person uses."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from cases.models import Activity
from ledger.models import Event
from tests.factories import PASSWORD, officer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("LAWTRACE_CHROMIUM", "/usr/bin/chromium")
# Without these flags Chromium keeps calling home, which a closed network refuses.
QUIET = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs it")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=QUIET)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    opened = context.new_page()
    refused = []
    opened.on("console", lambda message: refused.append(message.text)
              if "Content Security Policy" in message.text else None)
    yield opened
    context.close()
    # Every journey works under the pages' CSP: nothing the pages need was refused by it.
    assert refused == []


def _log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url  # every page asks for a login first
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


def test_officer_records_an_activity_and_sees_what_the_rules_require(page, live_server, agency):
    user = officer(agency, full_name="张执法")
    _log_in(page, live_server, user)
    assert page.get_by_role("heading", name="我的待办执法活动").is_visible()

    page.get_by_role("link", name="执法活动").first.click()
    page.get_by_role("link", name="登记执法活动").click()
    page.get_by_role("button", name="保存").click()
    assert page.locator(".error").count() > 0  # an empty form is refused with field errors, nothing saved
    assert Activity.objects.count() == 0

    start = timezone.localtime().replace(second=0, microsecond=0) + dt.timedelta(days=1)
    page.get_by_label("执法类别").select_option("inspection")
    page.get_by_label("执法环节").select_option("on_site_enforcement")
    page.get_by_label("地点").fill("城关镇建设路18号")
    page.get_by_label("计划开始").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("计划结束").fill((start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("执法人员:", exact=True).select_option(str(user.pk))
    page.get_by_role("button", name="保存").click()

    page.wait_for_url(f"{live_server.url}/activities/*/")
    activity = Activity.objects.get()
    assert activity.place == "城关镇建设路18号"
    assert page.get_by_text("本次执法活动应当进行音像记录。").is_visible()
    assert page.get_by_text("《鲁山县财政局音像记录管理制度》第六条").first.is_visible()
    assert Event.objects.filter(verb="activity.create", actor=user).exists()

    page.goto(f"{live_server.url}/")
    assert page.get_by_text("城关镇建设路18号").first.is_visible()  # on the officer's own dashboard


def test_wrong_password_is_refused_in_chinese_and_recorded(page, live_server, agency):
    user = officer(agency)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").is_visible()
    assert "/accounts/login/" in page.url
    assert Event.objects.filter(verb="login.failed", result="denied", actor_label=user.username).exists()


def test_audit_administrator_verifies_the_ledger(page, live_server, agency, settings):
    from authz.roles import Role
    from tests.factories import UserFactory

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default"]}}
    auditor = UserFactory(agency=agency, roles=(Role.AUDIT_ADMIN,))
    _log_in(page, live_server, auditor)
    page.get_by_role("link", name="事件记录").click()
    assert page.get_by_text("交外部见证方留存").is_visible()
    page.get_by_role("button", name="核验整个日志").click()
    page.wait_for_url(f"{live_server.url}/ledger/verify/*/")
    assert page.get_by_text("每一条事件、每一个树节点和每一个检查点都核验无误。").is_visible()


def test_officer_uploads_recordings_and_plays_one_back_under_a_watermark(page, live_server, agency, settings,
                                                                          tmp_path):
    from evidence.models import Record
    from evidence.synthetic import make_video

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default"]}}
    user = officer(agency, full_name="李取证")
    clips = [make_video(tmp_path / "现场检查一.mp4", seconds=3),
             make_video(tmp_path / "现场检查二.mp4", seconds=2, fps=12)]
    _log_in(page, live_server, user)
    page.get_by_role("link", name="证据", exact=True).click()
    page.get_by_role("link", name="上传记录").click()
    page.get_by_label("当事人").fill("某建材有限公司")
    page.locator("input.uppy-Dashboard-input").first.set_input_files([str(c) for c in clips])
    page.get_by_role("button", name="上传 2 个文件").click()
    page.locator("#upload-table").get_by_text("已归档为第").first.wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll('#upload-table a').length == 2", timeout=30_000)
    assert Record.objects.filter(party="某建材有限公司").count() == 2

    record = Record.objects.get(original_name="现场检查一.mp4")
    page.locator("#upload-table").get_by_role("link").filter(has_text=f"第 {record.pk} 号").click()
    assert page.locator(".mono").get_by_text(record.blob.sm3).is_visible()
    page.get_by_role("link", name="查看", exact=True).click()
    # Functions, not expression strings: Playwright compiles a string with eval, which the page's CSP forbids.
    page.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=30_000)
    assert page.evaluate("document.getElementById('player').duration") == pytest.approx(3, abs=0.3)
    page.evaluate("document.getElementById('player').currentTime = 2")  # seeking goes through Range requests
    page.wait_for_function("() => document.getElementById('player').currentTime >= 2", timeout=10_000)
    assert page.locator(".watermark span").first.inner_text().startswith("李取证")
    assert Event.objects.filter(verb="record.view", actor=user, object_id=str(record.pk)).exists()


def test_officer_explains_an_interruption_and_the_head_files_it(page, live_server, agency):
    from authz.roles import Role
    from compliance import services
    from compliance.models import InterruptionNote
    from tests.factories import ActivityFactory, RecordFactory, UserFactory

    person = officer(agency, full_name="张执法")
    head = UserFactory(agency=agency, full_name="李局长", roles=(Role.HEAD,))
    start = (timezone.now() - dt.timedelta(days=2)).replace(second=0, microsecond=0)
    activity = ActivityFactory(agency=agency, stage="hearing", category="penalty", planned_start=start,
                               planned_end=start + dt.timedelta(hours=1), officers=[person])
    RecordFactory(agency=agency, activity=activity, officer=person, recorded_start=start,
                  recorded_end=start + dt.timedelta(minutes=20))
    RecordFactory(agency=agency, activity=activity, officer=person, recorded_start=start + dt.timedelta(minutes=30),
                  recorded_end=start + dt.timedelta(hours=1))
    services.refresh([activity.pk])

    _log_in(page, live_server, person)
    page.goto(f"{live_server.url}/activities/{activity.pk}/")
    assert page.get_by_text("录制中断").first.is_visible()
    page.get_by_role("link", name="去整改").first.click()
    page.get_by_label("中断原因").select_option(index=1)
    page.get_by_label("情况说明").fill("听证中途记录仪存储空间已满，更换存储卡")
    page.get_by_label("依据").fill("存储空间不足")
    page.get_by_role("button", name="提交审核").click()
    assert page.get_by_text("中断工作记录已提交审核").is_visible()
    page.get_by_role("button", name="退出").click()

    _log_in(page, live_server, head)
    page.get_by_role("link", name="张执法").first.click()
    page.get_by_label("同意并备案").check()
    page.get_by_role("button", name="提交审核意见").click()
    assert page.get_by_text("审核意见已记录").is_visible()
    assert InterruptionNote.objects.get().state == InterruptionNote.State.APPROVED
    page.goto(f"{live_server.url}/activities/{activity.pk}/")
    assert page.get_by_text("没有未解决的问题").is_visible()


def test_archivist_files_a_court_request_copies_out_a_package_and_verifies_it(page, live_server, tmp_path,
                                                                             settings):
    """000/1/6, 001/4/4; 001/2/11: the court's letter is checked, the copy leaves as a package, the package verifies."""
    from playwright.sync_api import expect

    from access import exports
    from access.models import AccessRequest, PackageExport
    from tests.access_world import build

    settings.DATA_DIR = tmp_path / "data"
    world = build("ruzhou_water", tmp_path)
    _log_in(page, live_server, world.archivist)
    page.get_by_role("link", name="调阅", exact=True).click()
    page.get_by_role("link", name="新建调阅申请").click()
    # The page shows what the type chosen needs: a lawyer's papers for a lawyer, a court's letter for a court.
    page.get_by_label("申请人类别").select_option("party_lawyer")
    expect(page.get_by_label("委托书")).to_be_visible()
    expect(page.get_by_label("申请的工作人员")).to_be_hidden()
    page.get_by_label("申请人类别").select_option("court")
    expect(page.get_by_label("委托书")).to_be_hidden()
    expect(page.get_by_label("单位介绍信")).to_be_visible()
    explained = page.locator("fieldset.actions").get_by_text("有关单位凭单位介绍信")  # each action by its rules
    expect(explained.first).to_be_visible()
    page.get_by_label("申请人:", exact=True).fill("赵法官")
    page.get_by_label("申请人单位").fill("汝州市人民法院")
    page.get_by_label("用途").select_option("litigation")
    page.get_by_label("申请理由").fill("审理行政诉讼案件，调取现场执法录像")
    page.get_by_label("复印").check()
    page.get_by_label("案件").select_option(str(world.case.pk))
    page.get_by_label("单位介绍信").fill("汝法调〔2026〕8号")
    page.get_by_label("有效身份证件").fill("410482198505050055")
    page.get_by_role("button", name="提交申请").click()
    refusal = page.locator(".errors").inner_text()  # not yet checked against the originals: refused
    assert "《汝州市水利局行政执法记录信息调阅监督制度》第六条" in refusal
    assert page.get_by_label("申请人单位").input_value() == "汝州市人民法院"  # nothing typed is lost
    page.get_by_label("已核对上述证件原件").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(f"{live_server.url}/access/*/")
    assert AccessRequest.objects.get().status == AccessRequest.Status.GRANTED

    page.get_by_label("证明对象").fill("执法人员现场检查经过")
    page.get_by_role("button", name="制作证据包").click()
    page.wait_for_url(f"{live_server.url}/access/packages/*/")
    assert page.locator("progress").is_visible()  # the page follows the job and refreshes itself
    exports.build(PackageExport.objects.get().pk)  # what the worker does meanwhile
    page.reload()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载证据包").click()
    saved = tmp_path / "package.zip"
    download.value.save_as(saved)

    page.goto(f"{live_server.url}/access/verify/")
    page.get_by_label("证据包（.zip）").set_input_files(str(saved))
    page.get_by_role("button", name="核验").click()
    assert page.get_by_role("heading", name="全部通过").is_visible()
    page.goto(f"{live_server.url}/access/register/")
    assert page.get_by_text("赵法官").first.is_visible()


def test_archivist_proposes_a_purge_and_the_head_approves_it(page, live_server, tmp_path):
    """000/2/15, 000/2/15: an expired clip of no preservation value goes with the head's approval, leaving a
    tombstone."""
    from playwright.sync_api import expect

    from retention import services
    from retention.models import Schedule
    from tests.access_world import build

    world = build("lushan_finance", tmp_path)
    Schedule.objects.filter(record=world.clip).update(retain_until=timezone.localdate() - dt.timedelta(days=1))
    _log_in(page, live_server, world.archivist)
    page.get_by_role("link", name="保存期限", exact=True).click()
    page.get_by_label(world.clip.original_name).check()
    page.get_by_label("无保存价值的理由").fill("日常检查，当事人无异议，无保存价值")
    page.get_by_role("button", name="提出清除").click()
    assert page.get_by_text("待负责人审批").is_visible()
    page.get_by_role("button", name="退出").click()

    _log_in(page, live_server, world.head)
    page.get_by_role("link", name="待审批的清除：1").click()
    page.get_by_label(world.clip.original_name).check()
    page.get_by_role("button", name="批准清除").click()
    assert page.get_by_text("后台任务将清除记录内容").is_visible()
    page.get_by_role("link", name=world.clip.shown_name).first.click()  # the record says the purge is pending
    expect(page.locator("[data-purge-state=approved]")).to_be_visible()
    assert services.purge_approved() == 1
    page.goto(f"{live_server.url}/evidence/{world.clip.pk}/")
    assert page.get_by_text("经批准清除").is_visible()


def test_supervisor_samples_reviews_and_the_head_decides_the_misconduct(page, live_server):
    """000/2/17, 004/22-24: a committed sample, a score with its reason, a misconduct case from the review, the head's
    sanction."""
    from supervision.models import MisconductCase, ReviewRound
    from tests.supervision_world import FIRST_DAY, build

    world = build("xinzhou_finance", records=6)
    _log_in(page, live_server, world.supervisor)
    from playwright.sync_api import expect

    page.get_by_role("link", name="监督检查", exact=True).click()
    page.get_by_role("link", name="发起抽查评查").click()  # a primary action, not a toggle to find
    expect(page.get_by_role("heading", name="发起抽查评查")).to_be_visible()
    form = page.locator("form.form")
    form.get_by_label("检查类型").select_option("sampling")
    form.get_by_label("标题").fill("第三季度执法记录回放检查")
    form.get_by_label("记录起始日期").fill(FIRST_DAY.isoformat())
    form.get_by_label("记录截止日期").fill((FIRST_DAY + dt.timedelta(days=30)).isoformat())
    form.get_by_label("或抽查条数").fill("2")
    form.get_by_label("评查人员").select_option(label=f"{world.supervisor}")
    form.get_by_role("button", name="承诺并立项").click()
    assert page.get_by_text("已写入日志").is_visible()
    page.get_by_role("button", name="公开随机种子并抽取样本").click()
    assert page.get_by_text("随机种子与承诺值一致").is_visible()

    page.get_by_role("link", name="评查打分").first.click()
    page.get_by_label("定期抽检执法记录设备反映的执法人员队容风纪、文明执法情况").fill("6")
    page.get_by_role("button", name="保存评查结果").click()
    assert page.locator(".errors").is_visible()  # marks taken off without a reason are refused
    page.get_by_label("扣分理由").first.fill("执法时未按规定着装")
    page.get_by_role("button", name="保存评查结果").click()
    assert page.get_by_text("评查结果已保存").is_visible()
    page.get_by_role("link", name="立执法过错案件").click()
    expect(page.get_by_label("来源合规问题")).to_be_visible()  # findings are picked by what they say, not a number
    page.get_by_label("过错行为").select_option("other")
    page.get_by_label("事实").fill("回放检查发现执法时未按规定着装")
    page.get_by_role("button", name="立案").click()
    assert page.get_by_text("执法过错案件已立案").is_visible()
    case = MisconductCase.objects.get()
    assert case.review is not None and ReviewRound.objects.get().reviews.count() == 1
    page.get_by_role("button", name="退出").click()

    _log_in(page, live_server, world.head)
    page.get_by_role("link", name=f"{case.officer} · {case.misconduct_label}").click()
    page.get_by_label("情节轻微的，予以批评教育（《忻州市财政局行政执法全过程记录制度》第二十四条）").check()
    page.get_by_label("决定及理由").fill("情节轻微，予以批评教育")
    page.get_by_role("button", name="登记决定").click()
    assert page.get_by_text("处理决定已登记").is_visible()
    case.refresh_from_db()
    assert case.state == "decided" and case.decided_by == world.head
