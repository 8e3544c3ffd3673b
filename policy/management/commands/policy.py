import datetime as dt
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from policy.loader import PackInvalid, load_pack
from policy.registry import PackNotFound, registry


class Command(BaseCommand):
    help = ("Policy packs: 'check FILE…' validates packs (each error with its file and line); 'list' shows the packs "
            "found; 'explain PACK' says in Chinese what the system will check; 'upload FILE --agency CODE --by USER "
            "--effective DATE --reason TEXT' puts a version forward for the head's approval; 'activations CODE' lists "
            "an agency's versions; 'schema' prints policy/SCHEMA.md.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate pack files")
        check.add_argument("files", nargs="+", type=Path)
        sub.add_parser("list", help="list the pack files this installation offers")
        explain = sub.add_parser("explain", help="what the system will check for a pack, in Chinese")
        explain.add_argument("pack")
        explain.add_argument("--version", type=int)
        upload = sub.add_parser("upload", help="put a pack version forward for the head's approval")
        upload.add_argument("file", type=Path)
        upload.add_argument("--agency", required=True)
        upload.add_argument("--by", required=True, help="username of the security administrator")
        upload.add_argument("--effective", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
        upload.add_argument("--reason", required=True)
        activations = sub.add_parser("activations", help="an agency's pack versions and their state")
        activations.add_argument("agency")
        sub.add_parser("schema", help="print the schema reference (policy/SCHEMA.md)")

    def handle(self, *args, action: str, **options) -> None:
        with translation.override("zh-hans"):
            getattr(self, f"_{action}")(**options)

    def _list(self, **options) -> None:
        for code in registry().codes():
            for found in registry().files(code):
                pack = found.pack
                self.stdout.write(f"{code}\tv{pack.version}\t{pack.effective_from}\t{pack.agency.name}\t"
                                  f"sha256:{found.sha256}\t{found.path}")

    def _check(self, files: list[Path], **options) -> None:
        failed = 0
        for path in files:
            try:
                pack = load_pack(path)
            except PackInvalid as exc:
                failed += 1
                for error in exc.errors:
                    self.stderr.write(str(error))
                continue
            self.stdout.write(self.style.SUCCESS(f"{path}: OK ({pack.pack} v{pack.version}, {pack.agency.name})"))
        if failed:
            raise CommandError(f"{failed} pack(s) invalid")

    def _explain(self, pack: str, version: int | None = None, **options) -> None:
        from policy.explain import explain

        try:
            files = registry().files(pack)
        except PackNotFound as exc:
            raise CommandError(f"没有名为 {pack} 的制度包 no pack named {pack}") from exc
        chosen = next((f for f in files if f.pack.version == version), None) if version else files[-1]
        if chosen is None:
            raise CommandError(f"{pack} 没有第 {version} 版 no version {version}")
        self.stdout.write("\n".join(explain(chosen.pack)))

    def _upload(self, file: Path, agency: str, by: str, effective: dt.date, reason: str, **options) -> None:
        from org.models import Agency, User
        from policy.activation import propose

        target = Agency.objects.filter(code=agency).first()
        actor = User.objects.filter(username=by, is_active=True).first()
        if target is None or actor is None:
            raise CommandError(f"没有机关 {agency} 或账号 {by} unknown agency or user")
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        try:
            made = propose(target, raw, file.name, effective_from=effective, reason=reason, actor=actor)
        except PackInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError("制度包有误，未提交 the pack is invalid; nothing was put forward") from exc
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        except PermissionError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"已提交，待主要负责人批准：{made.pack} 自 {made.effective_from} 起施行，sha256:{made.pack.sha256} "
            f"(activation {made.pk})"))

    def _activations(self, agency: str, **options) -> None:
        from policy.models import Activation

        rows = Activation.objects.filter(agency__code=agency).select_related("pack", "proposed_by", "decided_by")
        for row in rows.order_by("effective_from", "pk"):
            self.stdout.write(f"{row.pk}\t{row.pack}\t{row.effective_from}\t{row.get_state_display()}\t"
                              f"sha256:{row.pack.sha256}\t{row.proposed_by or '—'}\t{row.decided_by or '—'}")

    def _schema(self, **options) -> None:
        from policy.schema_doc import render

        self.stdout.write(render(), ending="")
