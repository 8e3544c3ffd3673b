"""Production serving, headers and login throttling (issue: headers, lockout as a weapon)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from authz.roles import Role
from ledger.models import Event
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def production_env(tmp_path: Path) -> dict[str, str]:
    """deploy/lawtrace.env as documented, with its files pointed into a scratch directory."""
    values = {}
    for line in (ROOT / "deploy" / "lawtrace.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _sep, value = line.partition("=")
            values[name.strip()] = value.strip()
    secret = tmp_path / "secret_key"
    secret.write_text("k" * 20 + "A-very-long-random-production-secret-0123456789", encoding="utf-8")
    values.update({"LAWTRACE_SECRET_KEY_FILE": str(secret), "LAWTRACE_DATA_DIR": str(tmp_path),
                   "LAWTRACE_LEDGER_KEY_DIR": str(tmp_path / "keys"), "LAWTRACE_STORE_DIR": str(tmp_path / "o"),
                   "LAWTRACE_UPLOAD_DIR": str(tmp_path / "u")})
    return values


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LAWTRACE_")}
    environment.update(production_env(tmp_path))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_page_carries_a_csp_without_inline_script(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe" not in directives["script-src"]
    assert directives["object-src"] == "'none'" and directives["default-src"] == "'self'"


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0):
                offenders.append(f"{template.name}: inline <script>")
        for match in re.finditer(r"\s(on[a-z]+)\s*=", text):
            offenders.append(f"{template.name}: {match.group(1)}=")
        if "javascript:" in text:
            offenders.append(f"{template.name}: javascript: URL")
    assert offenders == []


def test_https_brings_hsts_secure_cookies_and_a_redirect(settings, agency):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.TRUSTED_PROXIES = []
    client = Client()
    assert client.get("/accounts/login/")["Location"].startswith("https://")  # plain http goes to https
    assert client.get("/healthz").status_code in (200, 503)  # the proxy's probe is not redirected
    user = UserFactory(agency=agency, roles=(Role.OFFICER,))
    secure = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}, secure=True)
    assert "max-age=31536000" in secure["Strict-Transport-Security"]
    assert secure.cookies["sessionid"]["secure"] and secure.cookies["sessionid"]["httponly"]


def test_only_a_trusted_proxy_may_say_the_connection_was_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.5/32")]
    forged = Client(REMOTE_ADDR="192.0.2.7").get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert forged.status_code == 301  # a client talking to a node directly cannot claim TLS
    proxied = Client(REMOTE_ADDR="10.0.0.5").get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https",
                                                 HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert proxied.status_code == 200


def _fail(client: Client, username: str, times: int, **extra) -> None:
    for _ in range(times):
        client.post("/accounts/login/", {"username": username, "password": "wrong-password"}, **extra)


def test_lockout_cannot_be_used_to_shut_the_auditor_out_from_elsewhere(settings, agency):
    auditor = UserFactory(agency=agency, roles=(Role.AUDIT_ADMIN,))
    _fail(Client(REMOTE_ADDR="192.0.2.66"), auditor.username, settings.AXES_FAILURE_LIMIT)
    # The attacker's address is locked for that account …
    attacker = Client(REMOTE_ADDR="192.0.2.66")
    assert attacker.post("/accounts/login/", {"username": auditor.username, "password": PASSWORD}).status_code \
        == 429
    # … while the auditor at her own desk logs in.
    desk = Client(REMOTE_ADDR="192.0.2.10")
    response = desk.post("/accounts/login/", {"username": auditor.username, "password": PASSWORD})
    assert response.status_code == 302
    failed = Event.objects.filter(verb="login.failed", actor_label=auditor.username)
    assert set(failed.values_list("client_address", flat=True)) == {"192.0.2.66"}


def test_behind_the_proxy_the_throttle_sees_each_client_not_the_proxy(settings, agency):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.5/32")]
    auditor = UserFactory(agency=agency, roles=(Role.AUDIT_ADMIN,))
    via_proxy = Client(REMOTE_ADDR="10.0.0.5")
    _fail(via_proxy, auditor.username, settings.AXES_FAILURE_LIMIT, HTTP_X_FORWARDED_FOR="198.51.100.66")
    ok = via_proxy.post("/accounts/login/", {"username": auditor.username, "password": PASSWORD},
                        HTTP_X_FORWARDED_FOR="198.51.100.10")
    assert ok.status_code == 302
    assert Event.objects.filter(verb="login", actor=auditor).get().client_address == "198.51.100.10"
    # A client writing its own header at the front of the chain does not choose its address: the proxy appends.
    spoofed = via_proxy.post("/accounts/login/", {"username": auditor.username, "password": PASSWORD},
                             HTTP_X_FORWARDED_FOR="198.51.100.10, 198.51.100.66")
    assert spoofed.status_code == 429


def test_a_client_cannot_pick_its_address_with_a_header_when_not_behind_a_trusted_proxy(settings, agency):
    settings.TRUSTED_PROXIES = []
    auditor = UserFactory(agency=agency, roles=(Role.AUDIT_ADMIN,))
    attacker = Client(REMOTE_ADDR="192.0.2.66")
    for n in range(settings.AXES_FAILURE_LIMIT + 2):
        attacker.post("/accounts/login/", {"username": auditor.username, "password": "wrong-password"},
                      HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")  # a fresh address each try, to dodge the throttle
    refused = attacker.post("/accounts/login/", {"username": auditor.username, "password": PASSWORD},
                            HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert refused.status_code == 429
    addresses = set(Event.objects.filter(verb="login.failed").values_list("client_address", flat=True))
    assert addresses == {"192.0.2.66"}
