from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from authz.roles import Role
from lawtrace import demo
from org.models import User


class Command(BaseCommand):
    help = "Print the demo URL and the demo accounts, one per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url: str, **options) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Lawtrace demo is starting at %(url)s") % {"url": url}))
        self.stdout.write(_("Password for every demo account: %(password)s") % {"password": demo.DEMO_PASSWORD})
        first = demo.AGENCIES[0]
        for username, _full_name, roles, _q in demo.STAFF:
            user = User.objects.filter(username=first["prefix"] + username).select_related("agency").first()
            if user is None:
                continue
            role_names = "、".join(str(Role(r).label) for r in roles)
            self.stdout.write(f"  {user.username:<12} {role_names:<10} {user.full_name} · {user.agency}")
        others = ", ".join(f"{spec['prefix']}officer" for spec in demo.AGENCIES[1:])
        self.stdout.write(_("Other agencies use the same names with a prefix, e.g. %(names)s.") % {"names": others})
        self.stdout.write("")
