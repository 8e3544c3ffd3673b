from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from authz.roles import Role
from lawtrace.tables import TableError
from org import accounts, staff_import
from org.cli import operator_label, report_lines, write_private
from org.models import Agency, User
from org.services import create_staff


class Command(BaseCommand):
    help = ("Staff accounts at the server: import a staff list (.xlsx/.csv), add one account (the first "
            "administrators), reset a password. One-time passwords are printed once or written to a file only the "
            "operator can read.")

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        load = actions.add_parser("import", help="import a staff list: 姓名, 工号/警号, 单位, 角色, 执法证号, "
                                                 "证件有效期起, 证件有效期止, 手机")
        load.add_argument("file")
        load.add_argument("--agency", required=True, help="agency code")
        load.add_argument("--dry-run", action="store_true", help="report what would happen, change nothing")
        load.add_argument("--issuer", default="", help="issuing body of the certificates, if the file has no "
                                                       "发证机关 column")
        load.add_argument("--passwords", help="write the one-time passwords to this new file (mode 600) instead "
                                              "of printing them")
        add = actions.add_parser("add", help="add one account with its roles (the agency's first administrators)")
        add.add_argument("username")
        add.add_argument("--agency", required=True)
        add.add_argument("--name", required=True, help="full name")
        add.add_argument("--role", action="append", required=True, choices=Role.values)
        add.add_argument("--passwords")
        reset = actions.add_parser("reset-password", help="hand out a new one-time password")
        reset.add_argument("username")
        reset.add_argument("--passwords")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"_{action.replace('-', '_')}")(**options)
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from error

    def _agency(self, code: str) -> Agency:
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            raise CommandError(_("No agency has the code %(code)s.") % {"code": code})
        return agency

    def _import(self, *, file: str, agency: str, dry_run: bool, issuer: str, passwords: str | None, **_o) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("%(path)s is not a file.") % {"path": path})
        try:
            plan = staff_import.plan(self._agency(agency), path.name, path.read_bytes(), issuer=issuer)
        except TableError as error:
            raise CommandError(str(error)) from error
        if plan.ignored:
            self.stdout.write(_("Columns ignored: %(columns)s") % {"columns": "、".join(plan.ignored)})
        if not dry_run:
            staff_import.apply(plan, actor=None, actor_label=operator_label())
        for line in report_lines(plan):
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was changed."))
        self._hand_out([(row.username, row.full_name, row.password) for row in plan.rows if row.password], passwords)
        if plan.count(staff_import.REFUSE):
            self.stderr.write(_("%(n)d rows were refused; correct them and run the same file again.")
                              % {"n": plan.count(staff_import.REFUSE)})

    def _add(self, *, username: str, agency: str, name: str, role: list[str], passwords: str | None, **_o) -> None:
        password = accounts.generate_password(User(username=username, full_name=name))
        user = create_staff(self._agency(agency), username=username, full_name=name, password=password,
                            roles=tuple(role), must_change_password=True, actor=None)
        self._hand_out([(user.username, user.full_name, password)], passwords)

    def _reset_password(self, *, username: str, passwords: str | None, **_o) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No account is named %(name)s.") % {"name": username})
        self._hand_out([(user.username, user.full_name, accounts.reset_password(user, actor=None))], passwords)

    def _hand_out(self, handed: list[tuple[str, str, str]], target: str | None) -> None:
        """One-time passwords, shown this once: on the terminal, or in a new file only the operator can read."""
        if not handed:
            return
        lines = [f"{username}\t{name}\t{password}" for username, name, password in handed]
        if target:
            path = write_private(target, "\n".join([_("account\tname\tone-time password"), *lines]) + "\n")
            self.stdout.write(_("One-time passwords of %(n)d accounts written to %(path)s (readable by you alone); "
                                "each must be changed at first login.") % {"n": len(handed), "path": path})
            return
        self.stdout.write(_("One-time passwords (shown this once; each must be changed at first login):"))
        for line in lines:
            self.stdout.write("  " + line)
