"""Print who holds which capability, for one agency's pack or by default, as a Markdown table."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from authz import capabilities, scopes
from authz.roles import Role
from org.models import Agency


class Command(BaseCommand):
    help = "列出各项权限及持有的角色 List every capability and the roles holding it (Markdown)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--agency", help="机关代码 agency code: holders as that agency's pack names them")
        parser.add_argument("--scopes", action="store_true", help="also list the models and actions with rules")

    def handle(self, *args, **options) -> None:
        agency = None
        if options["agency"]:
            agency = Agency.objects.filter(code=options["agency"]).first()
            if agency is None:
                raise CommandError(f"没有代码为 {options['agency']} 的机关 no agency {options['agency']}")
        labels = dict(Role.choices)
        self.stdout.write("| capability | what it allows | held by | article |\n|---|---|---|---|")
        for name, capability in capabilities.declared().items():
            held = "、".join(str(labels[role]) for role in Role.values if role in capability.holders(agency))
            pack = "（制度包可另定）" if capability.by_pack else ""
            self.stdout.write(f"| `{name}` | {capability.label} | {held}{pack} | {capability.cite} |")
        if options["scopes"]:
            self.stdout.write("\n| model | actions |\n|---|---|")
            for label, actions in scopes.declared().items():
                self.stdout.write(f"| `{label}` | {', '.join(actions)} |")
