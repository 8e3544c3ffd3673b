import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from ledger import append_only, checkpoints, keys, publication, witness
from ledger.bundles import proof_bundle
from ledger.models import Event
from ledger.verification import check_witness_note, verify_ledger


class Command(BaseCommand):
    help = ("The tamper-evident ledger: keygen, rotate-key, checkpoint, publish, verify, witness, proof SEQ, "
            "grants ROLE. 'verify' exits non-zero and lists every mismatch.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("keygen", help="create and pin the signing key if there is none; print its fingerprint")
        sub.add_parser("rotate-key", help="introduce a new signing key, signed by the current one")
        sub.add_parser("publish", help="publish checkpoints and key statements not yet in the write-once store")
        checkpoint = sub.add_parser("checkpoint", help="sign the current tree head")
        checkpoint.add_argument("--force", action="store_true", help="sign even if the log has not grown")
        verify = sub.add_parser("verify", help="recompute the ledger from the event rows")
        verify.add_argument("--witness", type=Path, help="a witness file printed earlier by 'ledger witness'")
        witness = sub.add_parser("witness", help="print the public key and the last checkpoint for a witness")
        witness.add_argument("--date", type=dt.date.fromisoformat, help="the last checkpoint of this day")
        witness.add_argument("--push", action="store_true", help="send it to the configured outside witness now")
        proof = sub.add_parser("proof", help="write a proof bundle for events")
        proof.add_argument("seq", type=int, nargs="+")
        proof.add_argument("-o", "--output", type=Path, required=True)
        grants = sub.add_parser("grants", help="PostgreSQL: let ROLE read and append the ledger, never rewrite it")
        grants.add_argument("role")
        grants.add_argument("--apply", action="store_true", help="run the statements instead of printing them")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action.replace('-', '_')}")(**options)

    def _keygen(self, **options) -> None:
        key = keys.signing_key()
        publication.publish_pending_quietly()
        self.stdout.write(f"{key.algorithm} {key.public.hex()}\nfingerprint {key.key_id}\n"
                          f"private key: {key.private_path} (mode 600)\n"
                          f"pin it: LAWTRACE_LEDGER_PINNED_KEYS={keys.chain()[0].key_id}")

    def _rotate_key(self, **options) -> None:
        key = keys.rotate()
        publication.publish_pending_quietly()
        self.stdout.write(f"new signing key {key.algorithm} fingerprint {key.key_id}, introduced by the previous key")

    def _publish(self, **options) -> None:
        self.stdout.write(f"published {publication.publish_pending()} object(s)")

    def _checkpoint(self, force: bool, **options) -> None:
        made = checkpoints.make_checkpoint(force=force)
        self.stdout.write(made.note if made else "unchanged since the last checkpoint; nothing signed")

    def _witness(self, date: dt.date | None, push: bool, **options) -> None:
        if push:
            for delivery in witness.push():
                self.stdout.write(f"{delivery.channel} {delivery.target}: {'ok' if delivery.ok else delivery.error}")
            return
        self.stdout.write(checkpoints.witness_text(date), ending="")

    def _verify(self, witness: Path | None, **options) -> None:
        def progress(done: int, total: int) -> None:
            self.stderr.write(f"\r{done}/{total}", ending="")

        report = verify_ledger(progress if options.get("verbosity", 1) > 1 else None)
        problems = [(p.label, p.where, p.message) for p in report.problems]
        if witness is not None:
            try:
                note, signature = checkpoints.parse_witness_text(witness.read_text(encoding="utf-8"))
            except ValueError as error:
                raise CommandError(f"{witness}: {error}") from error
            problems += [(p.label, p.where, p.message) for p in check_witness_note(note, signature)]
        for kind, where, message in problems:
            self.stdout.write(f"{kind}\t{where}\t{message}")
        if report.unlisted:
            self.stdout.write(f"more\t\t{report.unlisted} more problems not listed")
        summary = (f"events {report.events_checked}, checkpoints {report.checkpoints_checked}, "
                   f"published checkpoints {report.published_checked}")
        if problems or report.unlisted:
            raise CommandError(f"ledger verification FAILED: {len(problems) + report.unlisted} problem(s); {summary}")
        self.stdout.write(self.style.SUCCESS(f"ledger verified: {summary}"))

    def _proof(self, seq: list[int], output: Path, **options) -> None:
        events = list(Event.objects.filter(seq__in=seq))
        if len(events) != len(set(seq)):
            raise CommandError(f"no such event: {sorted(set(seq) - {e.seq for e in events})}")
        output.write_text(json.dumps(proof_bundle(events), ensure_ascii=False, indent=1), encoding="utf-8")
        self.stdout.write(f"{output}: check it with: lawtrace-verify {output}")

    def _grants(self, role: str, apply: bool, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("grants apply to PostgreSQL only")
        statements = append_only.grant_sql(role)
        if not apply:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
