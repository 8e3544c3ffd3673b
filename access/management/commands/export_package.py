"""``manage.py export_package --case NUMBER --out DIR``: the evidence package of a case, run by the operator on the
server (the export is an event like any other)."""

from __future__ import annotations

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from access.packages import Extraction, PackageError, build_package
from cases.queries import case_by_number
from evidence.queries import case_records


class Command(BaseCommand):
    help = "Write a case's evidence package (BagIt, SHA-256 and SM3 manifests, explanatory note, ledger proofs)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--case", required=True, help="case number")
        parser.add_argument("--agency", help="agency code, when the number is used by more than one agency")
        parser.add_argument("--out", required=True, type=Path, help="directory to create")
        parser.add_argument("--maker", default="", help="制作人 (default: the operating-system user)")
        parser.add_argument("--extractor", default="", help="提取人")
        parser.add_argument("--proves", default="", help="证明对象")

    def handle(self, *args, **options) -> None:
        try:
            case = case_by_number(options["case"], options["agency"])
        except LookupError as error:
            raise CommandError(str(error)) from error
        operator = getpass.getuser()
        extraction = Extraction(maker=options["maker"] or operator, extractor=options["extractor"] or operator,
                                proves=options["proves"] or case.title, case_label=f"{case.number} {case.title}")
        try:
            package = build_package(case_records(case.pk), options["out"], extraction=extraction, agency=case.agency,
                                    case=case)
        except PackageError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{package.path}: {package.files} files, {package.bytes} bytes, "
                          f"manifest SHA-256 {package.manifest_sha256}")
