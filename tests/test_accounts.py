"""Accounts after they are made: one-time passwords changed at first login, deactivation, unlocking, sessions that end
(idle, absolute lifetime, sign out everywhere), and the second factor (TOTP with recovery codes, django-otp)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from authz.roles import Role
from ledger.models import Event
from org import accounts, mfa
from org.models import User
from tests.conftest import login
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def _log_in(client: Client, user: User, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": user.username, "password": password})


def _code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the phone app shows now (or that many 30-second steps later), computed the way django-otp does."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, steps_ahead):06d}"


@pytest.fixture
def sysadmin(agency):
    return UserFactory(agency=agency, roles=(Role.SYSTEM_ADMIN,))


@pytest.fixture
def secadmin(agency):
    return UserFactory(agency=agency, roles=(Role.SECURITY_ADMIN,))


def test_a_handed_out_password_meets_every_password_rule_for_its_account(monkeypatch):
    """A draw too similar to the account name is drawn again, not handed out (nor left to refuse an import row)."""
    draws = iter("wangjianguo7" + "Xy7kPq9mZt3w")
    monkeypatch.setattr(accounts.secrets, "choice", lambda alphabet: next(draws))
    person = User(username="wangjianguo7", full_name="王建国")
    assert accounts.generate_password(person) == "Xy7kPq9mZt3w"


def test_a_handed_out_password_must_be_changed_before_anything_else(agency, sysadmin):
    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    one_time = accounts.reset_password(person, actor=sysadmin)
    client = Client()
    _log_in(client, person, one_time)
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/password/")
    page = client.get(response["Location"]).content.decode()
    assert "系统管理员发放" in page
    response = client.post("/accounts/password/?next=/cases/", {
        "old_password": one_time, "new_password1": "Mine-own-2026-pass", "new_password2": "Mine-own-2026-pass",
        "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    person.refresh_from_db()
    assert not person.must_change_password and person.check_password("Mine-own-2026-pass")
    assert client.get("/cases/").status_code == 200
    assert Event.objects.filter(verb="password.change", actor=person).exists()
    assert Event.objects.filter(verb="staff.password_reset", actor=sysadmin, object_id=str(person.pk)).exists()


def test_resetting_a_password_ends_the_accounts_sessions(agency, sysadmin):
    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    client = login(Client(), person)
    assert client.get("/").status_code == 200
    accounts.reset_password(person, actor=sysadmin)
    assert client.get("/").status_code == 302  # back to the login page


def test_deactivating_ends_sessions_and_refuses_login(agency, sysadmin):
    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    client = login(Client(), person)
    accounts.set_active(person, False, reason="调离", actor=sysadmin)
    assert client.get("/").status_code == 302
    assert _log_in(Client(), person).status_code == 200  # the form again: inactive accounts cannot log in
    with pytest.raises(Exception, match="自己的账号"):
        accounts.set_active(sysadmin, False, reason="x", actor=sysadmin)


def test_sign_out_everywhere_ends_every_session_of_the_account(agency):
    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    desk, phone = Client(), Client()
    _log_in(desk, person)
    _log_in(phone, person)
    assert desk.get("/").status_code == 200 and phone.get("/").status_code == 200
    response = phone.post("/accounts/sign-out-everywhere/")
    assert response["Location"] == "/accounts/login/"
    assert desk.get("/").status_code == 302
    assert Event.objects.filter(verb="session.end_all", actor=person).exists()
    assert _log_in(desk, person).status_code == 302  # a new login works


def test_sessions_end_after_their_absolute_lifetime_however_busy(agency):
    import time_machine

    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    client = Client()
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), tick=False) as traveller:
        _log_in(client, person)
        step = dt.timedelta(minutes=25)  # busy: never idle as long as the idle timeout (30 minutes)
        for _visit in range(int(settings.SESSION_MAX_AGE_SECONDS // step.total_seconds())):
            traveller.shift(step)
            assert client.get("/").status_code == 200
        traveller.shift(step)
        response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert settings.SESSION_COOKIE_AGE == 30 * 60  # idle timeout as well


def test_unlocking_lifts_a_lockout(agency, sysadmin):
    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(Client(), person, "wrong-password-1")
    assert accounts.is_locked_out([person.username]) == {person.username}
    response = login(Client(), sysadmin).post(f"/org/staff/{person.pk}/unlock/")
    assert response.status_code == 302
    assert accounts.is_locked_out([person.username]) == set()
    assert _log_in(Client(), person).status_code == 302


def test_the_second_factor_is_required_for_the_roles_the_setting_names(agency, settings):
    settings.MFA_REQUIRED_ROLES = [Role.HEAD]
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp would make the next try after a wrong code wait a second
    head = UserFactory(agency=agency, roles=(Role.HEAD,))
    officer = UserFactory(agency=agency, roles=(Role.OFFICER,))
    client = Client()
    _log_in(client, head)
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/mfa/enrol/")
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", "")  # the QR code is drawn here, nothing fetched
    device = mfa.pending_enrolment(head)
    response = client.post("/accounts/mfa/enrol/", {"code": "000000"})
    assert "验证码错误" in response.content.decode()
    response = client.post("/accounts/mfa/enrol/", {"code": _code(device, 1)})
    codes = [line.strip() for line in response.content.decode().split('<ul class="codes mono">')[1]
             .split("</ul>")[0].replace("<li>", "").split("</li>") if line.strip()]
    assert len(codes) == mfa.RECOVERY_CODES
    assert client.get("/cases/").status_code == 200
    assert Event.objects.filter(verb="mfa.enrol", actor=head).exists()
    assert Event.objects.filter(verb="mfa.enrol", result="denied", actor=head).exists()
    # Someone whose role needs none goes straight in.
    other = Client()
    _log_in(other, officer)
    assert other.get("/cases/").status_code == 200

    # The next login asks for a code before anything; a recovery code works once.
    again = Client()
    _log_in(again, head)
    assert again.get("/").headers["Location"].startswith("/accounts/mfa/verify/")
    assert again.post("/accounts/mfa/verify/", {"code": codes[0]}).status_code == 302
    assert again.get("/").status_code == 200
    reused = Client()
    _log_in(reused, head)
    assert reused.post("/accounts/mfa/verify/", {"code": codes[0]}).status_code == 200
    assert reused.get("/").status_code == 302
    assert Event.objects.filter(verb="mfa.verify", result="denied", actor=head).exists()
    assert mfa.recovery_codes_left(head) == mfa.RECOVERY_CODES - 1


def test_a_handed_out_password_alone_never_opens_an_account_with_a_second_factor(agency, sysadmin):
    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    device = TOTPDevice.objects.create(user=person, name="authenticator", confirmed=True)
    one_time = accounts.reset_password(person, actor=sysadmin)
    client = Client()
    _log_in(client, person, one_time)
    # The code comes first, then the password change.
    assert client.get("/accounts/password/").headers["Location"].startswith("/accounts/mfa/verify/")
    client.post("/accounts/mfa/verify/", {"code": _code(device)})
    assert client.get("/").headers["Location"].startswith("/accounts/password/")


def test_the_lockout_per_account_and_address_stands_before_the_second_factor_and_the_password_change(agency, sysadmin):
    """The login steps stack: failures lock the account from the address they came from (AXES_LOCKOUT_PARAMETERS),
    before any password is checked; from the owner's desk the handed-out password leads to the code, then to the
    password change, and the lock on the other address stands."""
    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    device = TOTPDevice.objects.create(user=person, name="authenticator", confirmed=True)
    one_time = accounts.reset_password(person, actor=sysadmin)
    attacker = Client(REMOTE_ADDR="192.0.2.66")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(attacker, person, "wrong-password-1")
    assert _log_in(attacker, person, one_time).status_code == 429
    desk = Client(REMOTE_ADDR="192.0.2.10")
    assert _log_in(desk, person, one_time).status_code == 302
    assert desk.get("/").headers["Location"].startswith("/accounts/mfa/verify/")
    assert desk.post("/accounts/mfa/verify/", {"code": _code(device)}).status_code == 302
    assert desk.get("/").headers["Location"].startswith("/accounts/password/")
    assert _log_in(Client(REMOTE_ADDR="192.0.2.66"), person, one_time).status_code == 429


def test_only_the_security_administrator_resets_a_second_factor(agency, sysadmin, secadmin):
    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    TOTPDevice.objects.create(user=person, name="authenticator", confirmed=True)
    session = login(Client(), person)
    assert login(Client(), sysadmin).post(f"/org/staff/{person.pk}/second-factor/reset/").status_code == 403
    assert mfa.authenticator(person) is not None
    with pytest.raises(Exception, match="自己的"):
        mfa.reset(secadmin, actor=secadmin)
    assert login(Client(), secadmin).post(f"/org/staff/{person.pk}/second-factor/reset/").status_code == 302
    assert mfa.authenticator(person) is None
    assert session.get("/").status_code == 302  # the reset ended the account's sessions
    assert Event.objects.filter(verb="mfa.reset", actor=secadmin, object_id=str(person.pk)).exists()


def test_the_required_roles_setting_is_checked(settings):
    from org.mfa import _required_roles_are_roles

    settings.MFA_REQUIRED_ROLES = ["head", "chief"]
    errors = _required_roles_are_roles(None)
    assert errors and "chief" in errors[0].msg
