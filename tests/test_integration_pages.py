"""The system administrator manages connected systems through a page and a command (issue 25); nobody else may,
and the token is shown once."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from authz.roles import Role
from integration import accounts
from integration.models import ApiToken, SystemAccount
from ledger.models import Event
from tests.conftest import login
from tests.factories import UserFactory
from tests.test_integration_api import client_for


@pytest.fixture
def sysadmin(agency):
    return UserFactory(agency=agency, roles=(Role.SYSTEM_ADMIN,))


def test_the_system_administrator_adds_a_system_and_issues_a_token_shown_once(client, sysadmin):
    login(client, sysadmin)
    response = client.post("/settings/systems/", {"name": "执法办案系统", "description": "省统一办案平台"})
    account = SystemAccount.objects.get()
    assert response.status_code == 302 and account.principal.is_active is False
    expires = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    page = client.post(f"/settings/systems/{account.pk}/", {
        "action": "issue", "token-operations": ["cases.write", "feed.read"], "token-expires_on": expires})
    html = page.content.decode()
    secret = re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)
    assert "写入案件" in html and "不再显示" in html
    assert client_for(secret).get("/api/v1/cases/").status_code == 200
    again = client.get(f"/settings/systems/{account.pk}/").content.decode()
    assert secret not in again  # shown once
    token = ApiToken.objects.get()
    client.post(f"/settings/systems/{account.pk}/", {"action": "revoke", "token": token.pk})
    assert client_for(secret).get("/api/v1/cases/").json()["code"] == "token_revoked"
    verbs = set(Event.objects.filter(actor=sysadmin).values_list("verb", flat=True))
    assert {"integration.account_create", "integration.token_issue", "integration.token_revoke"} <= verbs


def test_a_token_form_refuses_a_past_expiry_in_chinese(client, sysadmin, agency):
    account = accounts.create_account(agency, name="监督平台")
    login(client, sysadmin)
    html = client.post(f"/settings/systems/{account.pk}/", {
        "action": "issue", "token-operations": ["feed.read"], "token-expires_on": "2020-01-01"}).content.decode()
    assert "有效期截止时间必须晚于当前时间" in html and not ApiToken.objects.exists()


@pytest.mark.parametrize("role", [Role.HEAD, Role.ARCHIVIST, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_only_the_system_administrator_manages_connected_systems(client, agency, role):
    user = UserFactory(agency=agency, roles=(role,))
    login(client, user)
    assert client.get("/settings/systems/").status_code == 403
    assert client.post("/settings/systems/", {"name": "私接系统"}).status_code == 403
    assert not SystemAccount.objects.exists()
    assert Event.objects.filter(actor=user, result="denied").exists()


def test_a_system_administrator_of_another_agency_does_not_see_the_system(client, agency, other_agency):
    account = accounts.create_account(agency, name="鲁山县财政执法系统")
    login(client, UserFactory(agency=other_agency, roles=(Role.SYSTEM_ADMIN,)))
    assert client.get(f"/settings/systems/{account.pk}/").status_code == 404
    assert "鲁山县财政执法系统" not in client.get("/settings/systems/").content.decode()


def test_the_principal_is_no_staff_member_anyone_can_pick(client, agency):
    from cases.forms import _agency_staff

    account = accounts.create_account(agency, name="办案系统")
    head = UserFactory(agency=agency, roles=(Role.HEAD,))
    assert account.principal not in _agency_staff(head)
    assert not account.principal.has_usable_password() and not account.principal.is_active
    assert client.post("/accounts/login/", {"username": account.principal.username, "password": ""}).status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_command_adds_issues_rotates_and_revokes(agency):
    out = StringIO()
    call_command("integration", "add", "执法监督平台", "--agency", agency.code, stdout=out)
    call_command("integration", "token", "执法监督平台", "--agency", agency.code, "--operations",
                 "compliance.read,feed.read", "--days", "10", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    assert client_for(secret).get("/api/v1/findings/").status_code == 200
    prefix = ApiToken.objects.get().prefix
    call_command("integration", "rotate", prefix, stdout=out)
    rotated = out.getvalue().strip().splitlines()[-1]
    assert client_for(secret).get("/api/v1/findings/").status_code == 401
    assert client_for(rotated).get("/api/v1/findings/").status_code == 200
    new_prefix = ApiToken.objects.get(revoked_at=None).prefix
    call_command("integration", "revoke", new_prefix, stdout=out)
    assert client_for(rotated).get("/api/v1/findings/").json()["code"] == "token_revoked"
    listing = StringIO()
    call_command("integration", "list", stdout=listing)
    assert "revoked" in listing.getvalue() and secret not in listing.getvalue()


def test_the_delivery_log_lists_deliveries_for_the_system_administrator(client, sysadmin, agency):
    login(client, sysadmin)
    response = client.get("/settings/systems/deliveries/")
    assert response.status_code == 200 and "事件推送日志" in response.content.decode()


def _nav_links(html: str) -> list[str]:
    nav = re.search(r"<nav>(.*?)</nav>", html, re.S).group(1)
    return re.findall(r'href="([^"]+)"', nav)


def test_the_navigation_leads_whoever_manages_systems_to_them_and_nobody_else(client, sysadmin, agency):
    login(client, sysadmin)
    links = _nav_links(client.get("/").content.decode())
    assert "/settings/systems/" in links
    for link in links:  # every page the administrator's navigation offers opens
        assert client.get(link).status_code == 200, link
    for role in (Role.OFFICER, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.HEAD):
        client.force_login(UserFactory(agency=agency, roles=(role,)))
        assert "/settings/systems/" not in _nav_links(client.get("/").content.decode()), role
        assert client.get("/settings/systems/").status_code == 403
