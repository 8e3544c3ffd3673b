from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from integration import accounts
from integration.models import ApiToken, SystemAccount
from integration.operations import OPERATIONS
from org.models import Agency


class Command(BaseCommand):
    help = ("Connected systems of the integration API: add a system, issue a token (shown once), rotate or revoke "
            "a token, list them. Operations: " + ", ".join(OPERATIONS))

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="add a connected system")
        add.add_argument("name")
        add.add_argument("--agency", required=True, help="agency code")
        add.add_argument("--description", default="")
        token = actions.add_parser("token", help="issue a token and print it once")
        token.add_argument("name")
        token.add_argument("--agency", required=True)
        token.add_argument("--operations", required=True, help="comma-separated")
        token.add_argument("--days", type=int, default=180)
        for name in ("rotate", "revoke"):
            sub = actions.add_parser(name)
            sub.add_argument("prefix", help="the token's prefix, as listed")
        actions.add_parser("list")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, "_token_" if action == "token" else f"_{action}")(**options)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error

    def _account(self, name: str, code: str) -> SystemAccount:
        account = SystemAccount.objects.filter(agency__code=code, name=name).first()
        if account is None:
            raise CommandError(_("No connected system %(name)s in agency %(code)s.") % {"name": name, "code": code})
        return account

    def _token(self, prefix: str) -> ApiToken:
        found = list(ApiToken.objects.filter(prefix=prefix).select_related("account__agency")[:2])
        if len(found) != 1:
            raise CommandError(_("No single token has the prefix %(prefix)s.") % {"prefix": prefix})
        return found[0]

    def _add(self, name: str, agency: str, description: str, **options) -> None:
        owner = Agency.objects.filter(code=agency).first()
        if owner is None:
            raise CommandError(_("No agency with code %(code)s.") % {"code": agency})
        account = accounts.create_account(owner, name=name, description=description)
        self.stdout.write(_("Connected system %(name)s created; now issue it a token.") % {"name": account.name})

    def _token_(self, name: str, agency: str, operations: str, days: int, **options) -> None:
        account = self._account(name, agency)
        _made, secret = accounts.issue_token(account, operations=[o.strip() for o in operations.split(",") if o],
                                             expires_at=timezone.now() + dt.timedelta(days=days))
        self.stdout.write(secret)

    def _rotate(self, prefix: str, **options) -> None:
        _made, secret = accounts.rotate_token(self._token(prefix))
        self.stdout.write(secret)

    def _revoke(self, prefix: str, **options) -> None:
        accounts.revoke_token(self._token(prefix))
        self.stdout.write(_("Token %(prefix)s… revoked.") % {"prefix": prefix})

    def _list(self, **options) -> None:
        for token in ApiToken.objects.select_related("account__agency").order_by("account__agency__code", "pk"):
            self.stdout.write("\t".join([token.account.agency.code, token.account.name, token.prefix, token.state(),
                                         timezone.localtime(token.expires_at).strftime("%Y-%m-%d"),
                                         ",".join(token.operations)]))
