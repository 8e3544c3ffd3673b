from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from org.cli import operator_label
from org.models import Agency
from org.services import create_agency
from policy import current


class Command(BaseCommand):
    help = "Agencies: add one with the policy pack it follows, or list them with their account prefixes."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="add an agency bound to a policy pack")
        add.add_argument("code", help="short code, letters, digits and hyphens (yexian-finance)")
        add.add_argument("--name", required=True, help="the agency's full Chinese name")
        add.add_argument("--pack", required=True, help="the policy pack it follows (see `policy list`)")
        add.add_argument("--prefix", default="", help="account prefix of its staff (yx-)")
        add.add_argument("--hosted-by", default="", help="code of the agency whose platform it is on")
        actions.add_parser("list")

    def handle(self, *args, action: str, **options) -> None:
        if action == "list":
            for agency in Agency.objects.select_related("hosted_by").order_by("code"):
                on = f"  ← {agency.hosted_by.code}" if agency.hosted_by else ""
                self.stdout.write(f"{agency.code:<28} {agency.account_prefix or '—':<8} {agency.pack_code:<24} "
                                  f"{agency.name}{on}")
            return
        host: Agency | None = None
        if options["hosted_by"]:
            host = Agency.objects.filter(code=options["hosted_by"]).first()
            if host is None:
                raise CommandError(_("No agency has the code %(code)s.") % {"code": options["hosted_by"]})
        try:
            agency = create_agency(code=options["code"], name=options["name"], pack_code=options["pack"],
                                   account_prefix=options["prefix"], hosted_by=host, actor=None,
                                   actor_label=operator_label())
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from error
        pack = current.in_force(agency)
        self.stdout.write(self.style.SUCCESS(
            _("Added %(name)s (%(code)s), following %(pack)s version %(version)s; recorded as done by %(who)s.")
            % {"name": agency.name, "code": agency.code, "pack": pack.agency.name, "version": pack.version,
               "who": operator_label()}))
