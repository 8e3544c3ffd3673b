import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.core.exceptions import ValidationError
from django.test import Client

from authz.roles import Role
from ledger.models import Event
from org.models import Qualification
from org.services import add_qualification, create_staff, grant_role
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("first, second", [
    (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN), (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN),
    (Role.AUDIT_ADMIN, Role.SYSTEM_ADMIN), (Role.AUDIT_ADMIN, Role.OFFICER), (Role.OFFICER, Role.SYSTEM_ADMIN),
])
def test_three_administrators_are_separate_accounts(agency, first, second):
    user = UserFactory(agency=agency)
    grant_role(user, first)
    with pytest.raises(ValidationError, match="不得兼任其他角色"):
        grant_role(user, second)
    assert list(user.role_grants.values_list("role", flat=True)) == [first]
    assert Event.objects.filter(verb="role.grant", result="denied", object_id=str(user.pk)).exists()


def test_business_roles_combine_and_each_grant_is_an_event(agency):
    user = UserFactory(agency=agency)
    grant_role(user, Role.OFFICER)
    grant_role(user, Role.HEAD)
    assert user.role_set == {Role.OFFICER, Role.HEAD}
    assert Event.objects.filter(verb="role.grant", result="done").count() == 2


def test_004_7_qualification_valid_only_within_its_dates(agency):
    user = UserFactory(agency=agency)
    add_qualification(user, kind=Qualification.Kind.ENFORCEMENT, certificate_number="ZF1", issuer="省政府",
                      valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2026, 12, 31))
    assert user.qualification_on(dt.date(2026, 12, 31)) is not None
    assert user.qualification_on(dt.date(2027, 1, 1)) is None


def test_qualification_validity_must_not_end_before_it_starts(agency):
    with pytest.raises(ValidationError):
        add_qualification(UserFactory(agency=agency), kind="enforcement", certificate_number="ZF2", issuer="省政府",
                          valid_from=dt.date(2026, 1, 2), valid_until=dt.date(2026, 1, 1))


def test_passwords_are_hashed_with_argon2(agency):
    user = create_staff(agency, username="wang", full_name="王", password="Long-enough-2026")
    assert user.password.startswith("argon2$")
    assert get_hasher("default").algorithm == "argon2"


@pytest.mark.parametrize("password, message", [
    ("short1", "密码太短"), ("onlyletterslong", "字母和数字"), ("1234567890123", "密码只包含数字"),
])
def test_password_rules_refuse_weak_passwords(agency, password, message):
    with pytest.raises(ValidationError, match=message):
        create_staff(agency, username="li", full_name="李", password=password)


def test_login_and_failed_login_are_events(agency):
    user = UserFactory(agency=agency, roles=(Role.OFFICER,))
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    verbs = list(Event.objects.order_by("seq").values_list("verb", "result"))
    assert ("login.failed", "denied") in verbs and ("login", "done") in verbs


def test_lockout_after_repeated_failures_survives_a_restart(agency):
    user = UserFactory(agency=agency, roles=(Role.OFFICER,))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/accounts/login/", {"username": user.username, "password": "wrong"})
    # The lockout lives in the database, so a fresh process (a new client here) is still refused.
    assert AccessAttempt.objects.filter(username=user.username).exists()
    response = Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()


def test_idle_sessions_expire_and_use_pushes_the_expiry_without_a_write_per_request(agency):
    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    client = Client()
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), tick=False) as traveller:
        client.post("/accounts/login/", {"username": person.username, "password": PASSWORD})
        traveller.shift(dt.timedelta(minutes=20))
        assert client.get("/").status_code == 200  # used: the idle time starts again
        traveller.shift(dt.timedelta(seconds=10))
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        assert not [q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
        traveller.shift(dt.timedelta(minutes=25))
        assert client.get("/").status_code == 200  # 45 minutes after login, 25 after the last renewal
        traveller.shift(dt.timedelta(minutes=31))
        response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
