"""三员分立 as 等保 level 3 expects: no account holds two of the administrators' roles (nor one beside a business
role); the system administrator asks for role changes, the security administrator decides, and both are on record;
nobody changes their own roles. Each rule is tried through the service, through the page and behind the
application's back."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from authz.denied import Denied
from authz.roles import ADMINS, Role
from ledger.models import Event
from org import role_changes
from org.models import RoleGrant, RoleRequest
from tests.conftest import login
from tests.factories import AgencyFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

ADMIN_ROLES = sorted(ADMINS)
# Every forbidden pair: two administrators' roles, or an administrator's role beside a business role.
FORBIDDEN = [(a, b) for a, b in itertools.permutations(Role.values, 2) if a in ADMINS or b in ADMINS]


@pytest.fixture
def admins(agency):
    return {role: UserFactory(agency=agency, roles=(role,)) for role in ADMIN_ROLES}


def _grant_through_both(person, role, admins):
    asked = role_changes.request_change(person, role, actor=admins[Role.SYSTEM_ADMIN])
    return role_changes.decide(asked, approve=True, actor=admins[Role.SECURITY_ADMIN])


@pytest.mark.parametrize("held, wanted", FORBIDDEN)
def test_each_forbidden_combination_is_refused_by_the_service(agency, admins, held, wanted):
    person = UserFactory(agency=agency, roles=(held,))
    with pytest.raises(ValidationError, match="不得兼任其他角色"):
        role_changes.request_change(person, wanted, actor=admins[Role.SYSTEM_ADMIN])
    assert not RoleRequest.objects.filter(user=person).exists()
    refusal = Event.objects.get(verb="role.request", result="denied", object_id=str(person.pk))
    assert refusal.detail["role"] == wanted


@pytest.mark.parametrize("held, wanted", FORBIDDEN)
def test_each_forbidden_combination_is_refused_by_the_database(agency, held, wanted):
    person = UserFactory(agency=agency, roles=(held,))
    with pytest.raises((IntegrityError, DatabaseError), match="separation of duties"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("INSERT INTO org_rolegrant (user_id, role, granted_at) VALUES (%s, %s, CURRENT_TIMESTAMP)",
                       [person.pk, wanted])
    assert list(RoleGrant.objects.filter(user=person).values_list("role", flat=True)) == [held]


def test_the_database_refuses_turning_a_grant_into_a_second_administrator_role(agency):
    person = UserFactory(agency=agency, roles=(Role.OFFICER, Role.HEAD))
    with pytest.raises((IntegrityError, DatabaseError), match="separation of duties"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("UPDATE org_rolegrant SET role = %s WHERE user_id = %s AND role = %s",
                       [Role.AUDIT_ADMIN, person.pk, Role.HEAD])


def test_a_decision_that_would_break_separation_is_refused(agency, admins):
    person = UserFactory(agency=agency, roles=(Role.OFFICER,))
    # A request written behind the application's back, past the check that asking makes.
    sneaked = RoleRequest.objects.create(user=person, role=Role.SYSTEM_ADMIN, requested_by=admins[Role.SYSTEM_ADMIN])
    with pytest.raises(ValidationError, match="不得兼任其他角色"):
        role_changes.decide(sneaked, approve=True, actor=admins[Role.SECURITY_ADMIN])
    assert person.role_grants.get().role == Role.OFFICER
    assert RoleRequest.objects.get(pk=sneaked.pk).state == RoleRequest.State.PENDING


def test_a_role_takes_effect_only_when_asked_and_decided_by_two_administrators(agency, admins):
    person = UserFactory(agency=agency)
    asked = role_changes.request_change(person, Role.OFFICER, reason="新入职", actor=admins[Role.SYSTEM_ADMIN])
    assert not person.role_grants.exists()  # asking changes nothing
    role_changes.decide(asked, approve=True, actor=admins[Role.SECURITY_ADMIN])
    grant = person.role_grants.get()
    assert grant.role == Role.OFFICER and grant.request_id == asked.pk
    request_event = Event.objects.get(verb="role.request", result="done", object_id=str(person.pk))
    approve_event = Event.objects.get(verb="role.approve", object_id=str(person.pk))
    assert request_event.actor == admins[Role.SYSTEM_ADMIN] and approve_event.actor == admins[Role.SECURITY_ADMIN]
    assert approve_event.after == {"roles": [Role.OFFICER]}
    assert approve_event.detail["requested_by"] == admins[Role.SYSTEM_ADMIN].username


@pytest.mark.parametrize("asker", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.HEAD, Role.OFFICER])
def test_only_the_system_administrator_asks(agency, admins, asker):
    actor = admins.get(asker) or UserFactory(agency=agency, roles=(asker,))
    person = UserFactory(agency=agency)
    with pytest.raises(ValidationError):
        role_changes.request_change(person, Role.OFFICER, actor=actor)
    assert Event.objects.filter(verb="role.request", result="denied", actor=actor).exists()


@pytest.mark.parametrize("decider", [Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.HEAD])
def test_only_the_security_administrator_decides(agency, admins, decider):
    actor = admins.get(decider) or UserFactory(agency=agency, roles=(decider,))
    asked = role_changes.request_change(UserFactory(agency=agency), Role.OFFICER, actor=admins[Role.SYSTEM_ADMIN])
    with pytest.raises(ValidationError):
        role_changes.decide(asked, approve=True, actor=actor)
    assert RoleRequest.objects.get(pk=asked.pk).state == RoleRequest.State.PENDING


def test_the_command_line_cannot_grant_on_behalf_of_a_person(agency, admins):
    from org.services import grant_role

    with pytest.raises(ValidationError):
        grant_role(UserFactory(agency=agency), Role.OFFICER, actor=admins[Role.SECURITY_ADMIN])
    assert Event.objects.filter(verb="role.grant", result="denied").exists()


def test_nobody_changes_their_own_roles(agency, admins):
    sysadmin, secadmin = admins[Role.SYSTEM_ADMIN], admins[Role.SECURITY_ADMIN]
    with pytest.raises(ValidationError, match="自己的角色"):
        role_changes.request_change(sysadmin, Role.OFFICER, change="grant", actor=sysadmin)
    with pytest.raises(ValidationError, match="自己的角色"):
        role_changes.withdraw(secadmin, Role.SECURITY_ADMIN, reason="调岗", actor=secadmin)
    # A request for the security administrator's own account is not theirs to decide.
    other_secadmin = UserFactory(agency=agency)
    asked = role_changes.request_change(secadmin, Role.SECURITY_ADMIN, change="revoke", actor=sysadmin)
    assert asked not in role_changes.pending_for(secadmin)
    with pytest.raises(ValidationError, match="自己的角色"):
        role_changes.decide(asked, approve=True, actor=secadmin)
    assert secadmin.role_grants.filter(role=Role.SECURITY_ADMIN).exists()
    assert other_secadmin.pk  # (a second security administrator would decide it)


def test_the_database_refuses_a_request_for_oneself_or_decided_by_its_asker(agency, admins):
    sysadmin = admins[Role.SYSTEM_ADMIN]
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleRequest.objects.create(user=sysadmin, role=Role.OFFICER, requested_by=sysadmin)
    asked = RoleRequest.objects.create(user=UserFactory(agency=agency), role=Role.OFFICER, requested_by=sysadmin)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleRequest.objects.filter(pk=asked.pk).update(state="approved", decided_by=sysadmin)


def test_the_security_administrator_withdraws_at_once_with_a_reason(agency, admins):
    person = UserFactory(agency=agency)
    _grant_through_both(person, Role.HEAD, admins)
    with pytest.raises(ValidationError):
        role_changes.withdraw(person, Role.HEAD, reason=" ", actor=admins[Role.SECURITY_ADMIN])
    role_changes.withdraw(person, Role.HEAD, reason="不再担任负责人", actor=admins[Role.SECURITY_ADMIN])
    assert not person.role_grants.exists()
    event = Event.objects.get(verb="role.revoke", result="done")
    assert event.before == {"roles": [Role.HEAD]} and event.after == {"roles": []}


def test_administrators_of_one_agency_cannot_touch_another(agency, admins):
    stranger = UserFactory(agency=AgencyFactory(code="ruzhou-water", name="汝州市水利局", pack_code="ruzhou_water"))
    with pytest.raises(ValidationError):
        role_changes.request_change(stranger, Role.OFFICER, actor=admins[Role.SYSTEM_ADMIN])


def test_a_grant_written_behind_the_applications_back_is_named(agency, admins, client):
    person = UserFactory(agency=agency)
    _grant_through_both(person, Role.OFFICER, admins)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO org_rolegrant (user_id, role, granted_at) VALUES (%s, %s, CURRENT_TIMESTAMP)",
                       [person.pk, Role.HEAD])
    found = role_changes.unrecorded_grants_of(admins[Role.SECURITY_ADMIN])
    assert [(g.user_id, g.role) for g in found if g.user_id == person.pk] == [(person.pk, Role.HEAD)]
    page = login(client, admins[Role.SECURITY_ADMIN]).get("/org/roles/").content.decode()
    assert "绕过系统写入" in page and person.username in page


def test_through_the_pages_the_system_administrator_asks_and_the_security_administrator_decides(agency, admins,
                                                                                               client):
    person = UserFactory(agency=agency)
    sysadmin, secadmin, auditor = admins[Role.SYSTEM_ADMIN], admins[Role.SECURITY_ADMIN], admins[Role.AUDIT_ADMIN]
    # The security administrator cannot ask, nor the auditor; the system administrator can.
    for outsider in (secadmin, auditor):
        response = login(client, outsider).post(f"/org/staff/{person.pk}/roles/request/",
                                                {"role": Role.OFFICER, "change": "grant"})
        assert response.status_code == 403
    response = login(client, sysadmin).post(f"/org/staff/{person.pk}/roles/request/",
                                            {"role": Role.OFFICER, "change": "grant", "reason": "新入职"})
    assert response.status_code == 302
    asked = RoleRequest.objects.get(user=person)
    # The system administrator cannot decide; the security administrator can.
    assert login(client, sysadmin).post("/org/roles/decide/", {"request": asked.pk, "decision": "approve"}) \
        .status_code == 403
    assert not person.role_grants.exists()
    login(client, secadmin).post("/org/roles/decide/", {"request": asked.pk, "decision": "approve"})
    assert person.role_grants.get().role == Role.OFFICER
    # An administrator's role asked for beside it is refused on the page with the reason, nothing requested.
    response = login(client, sysadmin).post(f"/org/staff/{person.pk}/roles/request/",
                                            {"role": Role.AUDIT_ADMIN, "change": "grant"}, follow=True)
    assert "不得兼任其他角色" in response.content.decode()
    assert not RoleRequest.objects.filter(user=person, role=Role.AUDIT_ADMIN).exists()


def test_no_page_lets_an_administrator_change_their_own_roles(agency, admins, client):
    sysadmin, secadmin = admins[Role.SYSTEM_ADMIN], admins[Role.SECURITY_ADMIN]
    response = login(client, sysadmin).post(f"/org/staff/{sysadmin.pk}/roles/request/",
                                            {"role": Role.HEAD, "change": "grant"}, follow=True)
    assert "不得申请变更自己的角色" in response.content.decode()
    response = login(client, secadmin).post(f"/org/staff/{secadmin.pk}/roles/withdraw/",
                                            {"role": Role.SECURITY_ADMIN, "reason": "x"}, follow=True)
    assert "不得收回自己的角色" in response.content.decode()
    assert secadmin.role_grants.filter(role=Role.SECURITY_ADMIN).exists()


def test_the_auditor_reads_but_keeps_no_accounts(agency, admins, client):
    person = UserFactory(agency=agency)
    auditor = admins[Role.AUDIT_ADMIN]
    login(client, auditor)
    assert client.get("/org/staff/").status_code == 403
    assert client.post(f"/org/staff/{person.pk}/password/").status_code == 403
    assert client.get("/ledger/events/").status_code == 200
    with pytest.raises(Denied):
        from org import accounts

        accounts.reset_password(person, actor=auditor)
