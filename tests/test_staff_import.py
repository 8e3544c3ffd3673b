"""Importing a staff list: each row created, changed, unchanged or refused with its reason; nothing half-made;
the same file twice changes nothing; passwords handed out once; roles only asked for (三员分立)."""

from __future__ import annotations

import datetime as dt
import stat

import pytest
from django.core.management import call_command
from django.utils import timezone

from authz.roles import Role
from lawtrace.tables import TableError
from ledger.models import Event
from org import staff_import
from org.models import Qualification, RoleGrant, RoleRequest, User
from org.services import create_unit
from tests.factories import UserFactory
from tests.onboarding_files import csv_bytes, staff_row, twenty_staff_with_two_bad_rows, xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def bureau(agency):
    agency.account_prefix = "ls-"
    agency.save()
    top = create_unit(agency, name="执法大队")
    create_unit(agency, name="执法一中队", parent=top)
    create_unit(agency, name="法制室")
    return agency


@pytest.fixture
def sysadmin(bureau):
    return UserFactory(agency=bureau, roles=(Role.SYSTEM_ADMIN,))


def _reasons(row) -> str:
    return "；".join(str(r) for r in row.reasons)


def test_a_list_of_twenty_creates_eighteen_and_refuses_two_with_reasons(bureau, sysadmin):
    plan = staff_import.plan(bureau, "人员名单.xlsx", xlsx(twenty_staff_with_two_bad_rows()))
    assert plan.summary == {"create": 18, "change": 0, "unchanged": 0, "refuse": 2}
    refused = {row.line: _reasons(row) for row in plan.rows if row.outcome == "refuse"}
    assert set(refused) == {8, 14}
    assert "不存在的中队" in refused[8] and "执法一中队" in refused[8]  # names the unit and the ones that exist
    assert "004/7-8" in refused[14]
    assert User.objects.filter(agency=bureau).count() == 1  # the preview wrote nothing

    staff_import.apply(plan, actor=sysadmin)
    made = User.objects.filter(agency=bureau).exclude(pk=sysadmin.pk)
    assert made.count() == 18
    assert not made.filter(staff_number__in=["410007", "410013"]).exists()  # nothing of a refused row exists
    assert all(u.must_change_password for u in made)
    officer = made.get(staff_number="410003")
    assert officer.username == "ls-410003" and officer.unit.name == "执法一中队" and officer.phone == "13900000003"
    assert officer.qualifications.get().certificate_number == "豫ZF000003"
    # Passwords are handed out once, never stored in the clear or put in an event.
    passwords = {row.username: row.password for row in plan.rows if row.password}
    assert len(passwords) == 18 and User.objects.get(username="ls-410003").check_password(passwords["ls-410003"])
    assert not Event.objects.filter(after__icontains=passwords["ls-410003"]).exists()
    # Roles are asked for, not granted: the security administrator decides.
    assert not RoleGrant.objects.filter(user__in=made).exists()
    assert RoleRequest.objects.filter(user__in=made, state="pending").count() == 18
    summary = Event.objects.get(verb="staff.import")
    assert summary.detail["create"] == 18 and [line for line, _r in summary.detail["refused"]] == [8, 14]


def test_running_the_same_file_again_changes_nothing(bureau, sysadmin):
    data = xlsx(twenty_staff_with_two_bad_rows())
    staff_import.apply(staff_import.plan(bureau, "名单.xlsx", data), actor=sysadmin)
    events = Event.objects.count()
    again = staff_import.apply(staff_import.plan(bureau, "名单.xlsx", data), actor=sysadmin)
    assert again.summary == {"create": 0, "change": 0, "unchanged": 18, "refuse": 2}
    assert not any(row.password for row in again.rows)
    assert User.objects.filter(agency=bureau).count() == 19
    assert Event.objects.count() == events + 1  # the import's own record, nothing else
    assert RoleRequest.objects.count() == 18 and Qualification.objects.count() == 17


def test_a_changed_row_changes_only_what_differs(bureau, sysadmin):
    staff_import.apply(staff_import.plan(bureau, "a.csv", csv_bytes([staff_row(3)])), actor=sysadmin)
    moved = staff_row(3, unit="法制室", roles="执法人员、法制审核人员")
    moved[7] = "13700000000"
    plan = staff_import.apply(staff_import.plan(bureau, "b.csv", csv_bytes([moved])), actor=sysadmin)
    row = plan.rows[0]
    assert row.outcome == "change" and not row.password
    words = "；".join(str(c) for c in row.changes)
    assert "执法一中队 → 法制室" in words and "13700000000" in words and "法制审核人员" in words
    update = Event.objects.get(verb="staff.update")
    assert set(update.after) == {"unit", "phone"}
    assert RoleRequest.objects.filter(role=Role.LEGAL_REVIEWER, state="pending").exists()


@pytest.mark.parametrize("header, missing", [
    (["姓名", "工号/警号", "角色", "手机"], "单位"),
    (["名字", "编号", "单位", "角色"], "姓名、工号/警号"),
])
def test_a_file_without_the_needed_columns_is_refused_whole(bureau, header, missing):
    with pytest.raises(TableError, match=missing):
        staff_import.plan(bureau, "x.xlsx", xlsx([["张三", "1", "法制室", "执法人员"]], header=header))


def test_a_file_that_is_no_table_is_refused(bureau):
    with pytest.raises(TableError, match="xlsx"):
        staff_import.plan(bureau, "名单.xlsx", b"not a workbook")
    with pytest.raises(TableError, match=r"\.xlsx 或 \.csv"):
        staff_import.plan(bureau, "名单.docx", b"whatever")


def test_duplicates_in_the_file_refuse_every_row_that_shares_the_number(bureau):
    rows = [staff_row(1), staff_row(2, number="410001"), staff_row(3)]
    rows[2][4] = rows[0][4]  # row 3 reuses row 1's certificate number
    plan = staff_import.plan(bureau, "x.xlsx", xlsx(rows))
    assert [row.outcome for row in plan.rows] == ["refuse", "refuse", "refuse"]
    assert "第2、3行" in _reasons(plan.rows[0]) or "2、3" in _reasons(plan.rows[0])


def test_a_certificate_someone_else_holds_is_refused(bureau, sysadmin):
    staff_import.apply(staff_import.plan(bureau, "a.xlsx", xlsx([staff_row(1)])), actor=sysadmin)
    other = staff_row(2)
    other[4] = "豫ZF000001"
    plan = staff_import.plan(bureau, "b.xlsx", xlsx([other]))
    assert plan.rows[0].outcome == "refuse" and "豫ZF000001" in _reasons(plan.rows[0])


def test_unknown_unit_and_role_and_bad_values_are_named(bureau):
    rows = [staff_row(1, unit="后勤科"), staff_row(2, roles="执法人员、队长"), staff_row(3)]
    rows[2][7] = "12345"
    rows[2][5] = "去年"
    plan = staff_import.plan(bureau, "x.csv", csv_bytes(rows))
    assert "后勤科" in _reasons(plan.rows[0])
    assert "队长" in _reasons(plan.rows[1])
    assert "12345" in _reasons(plan.rows[2]) and "去年" in _reasons(plan.rows[2])


def test_004_7_an_expired_certificate_refuses_the_row_and_names_the_day(bureau):
    gone = timezone.localdate() - dt.timedelta(days=1)
    plan = staff_import.plan(bureau, "x.xlsx", xlsx([staff_row(1, valid_until=gone)]))
    assert plan.rows[0].outcome == "refuse"
    assert gone.isoformat() in _reasons(plan.rows[0]) and "004/7-8" in _reasons(plan.rows[0])


def test_an_administrator_role_beside_another_is_refused_in_the_file(bureau):
    plan = staff_import.plan(bureau, "x.xlsx", xlsx([staff_row(1, roles="系统管理员、执法人员")]))
    assert plan.rows[0].outcome == "refuse" and "不得兼任其他角色" in _reasons(plan.rows[0])


def test_a_row_that_fails_when_applied_leaves_nothing_behind(bureau, sysadmin):
    plan = staff_import.plan(bureau, "x.xlsx", xlsx([staff_row(1), staff_row(2)]))
    # Between preview and confirm somebody records row 2's certificate for another person.
    UserFactory(agency=bureau, username="other").qualifications.create(
        kind="enforcement", certificate_number="豫ZF000002", issuer="省政府", valid_from=dt.date(2025, 1, 1),
        valid_until=dt.date(2099, 1, 1))
    staff_import.apply(plan, actor=sysadmin)
    assert [row.outcome for row in plan.rows] == ["create", "refuse"]
    assert not User.objects.filter(staff_number="410002").exists()
    assert not RoleRequest.objects.filter(user__staff_number="410002").exists()
    assert not plan.rows[1].password


def test_gb18030_csv_from_excel_reads(bureau):
    plan = staff_import.plan(bureau, "名单.csv", csv_bytes([staff_row(4)], encoding="gb18030"))
    assert plan.rows[0].outcome == "create" and plan.rows[0].full_name == staff_row(4)[0]


def test_only_the_system_administrator_imports(bureau):
    from authz.denied import Denied

    plan = staff_import.plan(bureau, "x.xlsx", xlsx([staff_row(1)]))
    for role in (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.HEAD):
        with pytest.raises(Denied):
            staff_import.apply(plan, actor=UserFactory(agency=bureau, roles=(role,)))
    assert not User.objects.filter(staff_number="410001").exists()
    assert Event.objects.filter(verb="staff.import", result="denied").count() == 3


def test_command_dry_run_changes_nothing_and_a_real_run_writes_passwords_for_the_operator_only(bureau, tmp_path,
                                                                                               capsys):
    source = tmp_path / "名单.xlsx"
    source.write_bytes(xlsx(twenty_staff_with_two_bad_rows()))
    call_command("staff", "import", str(source), "--agency", bureau.code, "--dry-run")
    out = capsys.readouterr().out
    assert "试运行" in out and "不存在的中队" in out and User.objects.filter(agency=bureau).count() == 0
    secrets = tmp_path / "passwords.tsv"
    call_command("staff", "import", str(source), "--agency", bureau.code, "--passwords", str(secrets))
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    lines = secrets.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 19 and lines[1].startswith("ls-")
    username, _name, password = lines[1].split("\t")
    assert User.objects.get(username=username).check_password(password)
    assert password not in capsys.readouterr().out  # written to the file, not the terminal
    event = Event.objects.get(verb="staff.import")
    assert event.actor is None and event.actor_label.startswith("manage.py (")


def test_command_agency_add_binds_the_pack(db, capsys):
    call_command("agency", "add", "yexian-finance", "--name", "叶县财政局", "--pack", "lushan_finance",
                 "--prefix", "yx-")
    from org.models import Agency

    agency = Agency.objects.get(code="yexian-finance")
    assert agency.pack_code == "lushan_finance" and agency.account_prefix == "yx-"
    assert Event.objects.filter(verb="agency.create", agency_code="yexian-finance").exists()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("agency", "add", "bad-pack", "--name", "某局", "--pack", "no_such_pack")
