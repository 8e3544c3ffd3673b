from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from authz.roles import Role
from lawtrace import demo
from org.models import Agency, User


class Command(BaseCommand):
    help = "Print the demo URL, the demo accounts (one per role) and which account prefix belongs to which agency."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url: str, **options) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Lawtrace demo is starting at %(url)s") % {"url": url}))
        self.stdout.write(_("Password for every demo account: %(password)s") % {"password": demo.DEMO_PASSWORD})
        first = demo.AGENCIES[0]
        for username, roles, _q in demo.STAFF:
            user = User.objects.filter(username=first["prefix"] + username).select_related("agency").first()
            if user is None:
                continue
            role_names = "、".join(str(Role(r).label) for r in roles)
            self.stdout.write(f"  {user.username:<12} {role_names:<10} {user.full_name} · {user.agency}")
        self.stdout.write(_("Each agency's accounts carry its prefix before the same names (officer, archivist, head, "
                            "…):"))
        for spec in demo.AGENCIES:
            agency = Agency.objects.filter(code=spec["code"]).first()
            if agency is not None:
                prefix = agency.account_prefix or _("(none)")
                self.stdout.write(f"  {prefix:<8} {agency.name:<16} {_('e.g.')} {agency.account_prefix}officer")
        if not settings.MFA_REQUIRED_ROLES:
            self.stdout.write(_("The demo asks no role for a second factor; an installation asks the three "
                                "administrators, heads and archivists by default (LAWTRACE_MFA_ROLES)."))
        self.stdout.write("")
