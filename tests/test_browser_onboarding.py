"""Putting a new agency into service, from zero, in the system Chromium: the system administrator creates the agency
with its pack and units and imports twenty staff from an .xlsx (two bad rows reported, nothing of them made); the
security administrator carries out the roles the list asks for; a new officer logs in with the one-time password,
chooses a password, sets up the second factor and records an activity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_otp.oath import totp
from playwright.sync_api import expect

from authz.roles import Role
from cases.models import Activity
from ledger.models import Event
from org.models import Agency, RoleGrant, RoleRequest, User
from tests.factories import PASSWORD, UserFactory
from tests.onboarding_files import twenty_staff_with_two_bad_rows, xlsx
from tests.test_browser_journeys import browser, page  # noqa: F401  (the shared Chromium fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_passwords")]


def _log_in(page, live_server, username: str, password: str) -> None:  # noqa: F811
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _log_out(page) -> None:  # noqa: F811
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/accounts/login/**")


def test_a_new_agency_is_put_into_service_from_zero(page, live_server, agency, settings, tmp_path):  # noqa: F811
    settings.MFA_REQUIRED_ROLES = [Role.OFFICER]  # the setting names which roles need a second factor
    settings.DATA_DIR = tmp_path / "data"
    sysadmin = UserFactory(agency=agency, roles=(Role.SYSTEM_ADMIN,), full_name="系统管理员")
    UserFactory(agency=agency, roles=(Role.SECURITY_ADMIN,), username="secadmin", full_name="安全管理员")
    staff_list = tmp_path / "叶县财政局人员名单.xlsx"
    staff_list.write_bytes(xlsx(twenty_staff_with_two_bad_rows()))

    # The system administrator creates the agency with the pack it follows, and its units.
    _log_in(page, live_server, sysadmin.username, PASSWORD)
    page.get_by_role("link", name="机关与单位").first.click()
    page.get_by_label("代码").fill("yexian-finance")
    page.get_by_label("名称").fill("叶县财政局")
    page.get_by_label("制度包").select_option("lushan_finance")
    page.get_by_label("账号前缀").fill("yx-")
    page.get_by_role("button", name="添加机关").click()
    page.wait_for_url(f"{live_server.url}/org/agencies/*/")
    new_agency = Agency.objects.get(code="yexian-finance")
    assert new_agency.pack_code == "lushan_finance" and new_agency.hosted_by == agency
    units = page.locator("form[action$='/units/']")
    for name in ("执法一中队", "法制室"):
        units.get_by_label("名称").fill(name)
        units.get_by_role("button", name="添加单位").click()
        expect(page.get_by_text(f"已添加单位 {name}。")).to_be_visible()

    # … and imports the staff list: a preview of every row first, then the confirmation.
    page.get_by_role("link", name="导入人员名单").first.click()
    page.get_by_label("人员名单（.xlsx 或 .csv）").set_input_files(str(staff_list))
    page.get_by_label("执法机关:", exact=True).select_option(str(new_agency.pk))
    page.get_by_role("button", name="检查文件").click()
    report = page.locator("table.import-report")
    assert page.get_by_text("尚未保存任何内容").is_visible()
    assert report.locator("tr.outcome-create").count() == 18 and report.locator("tr.outcome-refuse").count() == 2
    assert report.get_by_text("不存在的中队").is_visible() and report.get_by_text("004/7-8").is_visible()
    assert not User.objects.filter(agency=new_agency).exists()
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("heading", name="人员名单已导入 · 叶县财政局人员名单.xlsx")).to_be_visible()
    handout = page.locator("table.handout tbody tr")
    assert handout.count() == 18
    officer_row = handout.filter(has_text="yx-410003")
    one_time = officer_row.locator("td.password").inner_text()
    assert User.objects.filter(agency=new_agency).count() == 18
    assert not User.objects.filter(staff_number__in=["410007", "410013"]).exists()  # nothing half-made
    assert not RoleGrant.objects.filter(user__agency=new_agency).exists()
    _log_out(page)

    # The security administrator carries out the roles the list asked for.
    _log_in(page, live_server, "secadmin", PASSWORD)
    page.get_by_role("link", name="角色申请").first.click()
    boxes = page.locator("input[name=request]")
    assert boxes.count() == 18
    for index in range(boxes.count()):
        boxes.nth(index).check()
    page.get_by_role("button", name="执行所勾选的申请").click()
    expect(page.get_by_text("已执行 18 份申请。")).to_be_visible()
    assert RoleGrant.objects.filter(user__agency=new_agency).count() == 18
    assert not RoleRequest.objects.filter(state=RoleRequest.State.PENDING).exists()
    _log_out(page)

    # The new officer logs in with the one-time password and must choose a password first …
    _log_in(page, live_server, "yx-410003", one_time)
    page.wait_for_url("**/accounts/password/**")
    assert page.get_by_text("您的密码是系统管理员发放的").is_visible()
    page.get_by_label("旧密码:", exact=True).fill(one_time)
    page.get_by_label("新密码:", exact=True).fill("Yexian-2026-mine")
    page.get_by_label("新密码确认:", exact=True).fill("Yexian-2026-mine")
    page.get_by_role("button", name="保存").click()

    # … then set up the second factor: scan (here: read the key of) the QR code, give the app's code.
    page.wait_for_url("**/accounts/mfa/enrol/**")
    assert page.locator(".qr svg").is_visible()
    officer = User.objects.get(username="yx-410003")
    device = officer.totpdevice_set.get(confirmed=False)
    key = page.locator(".secret").inner_text().replace(" ", "")
    import base64

    assert base64.b32decode(key + "=" * (-len(key) % 8)) == device.bin_key  # the key shown is the key kept
    page.get_by_label("验证码:", exact=True).fill(f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}")
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_role("heading", name="恢复码")).to_be_visible()
    assert page.locator("ul.codes li").count() == 10
    page.get_by_role("link", name="继续").click()

    # … and records an activity.
    page.get_by_role("link", name="执法活动").first.click()
    page.get_by_role("link", name="登记执法活动").click()
    start = timezone.localtime().replace(second=0, microsecond=0) + dt.timedelta(days=1)
    page.get_by_label("执法类别").select_option("inspection")
    page.get_by_label("执法环节").select_option("on_site_enforcement")
    page.get_by_label("地点").fill("叶县昆阳街道文化路12号")
    page.get_by_label("计划开始").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("计划结束").fill((start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("执法人员:", exact=True).select_option(str(officer.pk))
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/activities/*/")
    activity = Activity.objects.get(agency=new_agency)
    assert activity.place == "叶县昆阳街道文化路12号"
    for verb, actor in (("agency.create", sysadmin), ("staff.import", sysadmin), ("password.change", officer),
                        ("mfa.enrol", officer), ("activity.create", officer)):
        assert Event.objects.filter(verb=verb, actor=actor).exists(), verb
    assert Event.objects.filter(verb="role.approve", actor__username="secadmin").count() == 18
