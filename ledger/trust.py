"""Which signing keys verification trusts: the chain that starts at the pinned key, each later key introduced by a
statement its predecessor signed. The published copies in the write-once store are the authority; the database's
rows must agree with them, and a key neither introduces signs nothing that counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from lawtrace_verify.checkpoint import KeyStatement, key_id, parse_key_statement

from ledger import rawsql, signing
from ledger.models import LedgerKey
from ledger.publication import Published, PublishedKey


@dataclass(frozen=True)
class TrustedKey:
    key_id: str
    algorithm: str
    public: bytes
    tree_size: int
    previous: str
    statement: str


@dataclass
class Trust:
    keys: list[TrustedKey] = field(default_factory=list)
    problems: list[tuple[str, str, str, str]] = field(default_factory=list)  # (kind, where, message, ref)

    def find(self, fingerprint: str) -> TrustedKey | None:
        return next((key for key in self.keys if key.key_id == fingerprint), None)

    def _problem(self, where: str, message: str, ref: str) -> None:
        self.problems.append(("key", where, message, ref))


@dataclass(frozen=True)
class _Candidate:
    where: str
    ref: str
    statement: str
    parsed: KeyStatement | None
    signer: str
    signature: bytes
    written: dt.datetime | None = None  # by the store's clock, for published copies


def _signed_by(candidate: _Candidate, signer: TrustedKey | None) -> bool:
    if candidate.parsed is None:
        return False
    if signer is None:  # the first key signs its own statement
        return not candidate.parsed.previous and candidate.signer == candidate.parsed.key_id and signing.verify(
            candidate.parsed.algorithm, candidate.parsed.public, candidate.statement.encode("utf-8"),
            candidate.signature)
    return candidate.parsed.previous == signer.key_id and candidate.signer == signer.key_id and signing.verify(
        signer.algorithm, signer.public, candidate.statement.encode("utf-8"), candidate.signature)


def _trusted(candidate: _Candidate) -> TrustedKey:
    parsed = candidate.parsed
    return TrustedKey(parsed.key_id, parsed.algorithm, parsed.public, parsed.tree_size, parsed.previous,
                      candidate.statement)


def _chain(candidates: list[_Candidate], trust: Trust, source: str) -> list[TrustedKey]:
    """Link candidates from the first key on; report any that no trusted key introduced."""
    pinned = [c.strip() for c in settings.LEDGER_PINNED_KEYS if c.strip()]
    firsts = [c for c in candidates if _signed_by(c, None) and (not pinned or c.parsed.key_id in pinned)]
    # Several self-signed keys: the one the store wrote first was pinned at install (the store's clock, which
    # whoever holds the database does not set); the later ones were made to sign something else.
    firsts.sort(key=lambda c: c.written or dt.datetime.max.replace(tzinfo=dt.UTC))
    for later in firsts[1:]:
        if later.parsed.key_id != firsts[0].parsed.key_id:
            trust._problem(later.where, _("Key %(key)s claims to be the first key of the ledger (%(source)s), but the "
                                          "pinned first key %(first)s was there before it: it was made later, to sign "
                                          "a rewritten history.") % {"key": later.parsed.key_id, "source": source,
                                                                     "first": firsts[0].parsed.key_id}, later.ref)
    if not firsts:
        if candidates:
            trust._problem(source, _("No key in %(source)s is the pinned first key.") % {"source": source},
                           "key:first")
        return []
    chain = [_trusted(firsts[0])]
    linked = {id(c) for c in firsts if c.parsed.key_id == chain[0].key_id}
    progress = True
    while progress:
        progress = False
        for candidate in candidates:
            if id(candidate) in linked:
                continue
            if _signed_by(candidate, chain[-1]):
                chain.append(_trusted(candidate))
                linked.add(id(candidate))
                progress = True
    for candidate in candidates:
        if candidate in firsts[1:] and candidate.parsed.key_id != chain[0].key_id:
            continue  # reported above
        if id(candidate) not in linked and not (candidate.parsed and any(
                k.statement == candidate.statement for k in chain)):
            trust._problem(candidate.where, _("Key %(key)s in %(source)s was not introduced by the key before it: "
                                              "checkpoints it signs are not trusted.")
                           % {"key": candidate.parsed.key_id if candidate.parsed else "?", "source": source},
                           candidate.ref)
    return chain


def _parse(statement: str) -> KeyStatement | None:
    try:
        return parse_key_statement(statement)
    except (ValueError, TypeError):
        return None


def _database_candidates(trust: Trust) -> tuple[list[_Candidate], dict[str, dt.datetime]]:
    candidates, introduced = [], {}
    columns = ("id", "algorithm", "public", "key_id", "tree_size", "previous_key_id", "statement", "signature",
               "introduced_at")
    for values in rawsql.select(LedgerKey._meta.db_table, columns, times=("introduced_at",)):
        row_id = values[0]
        where = _("signing key %(id)s in the database") % {"id": row_id}
        ref = f"key:{row_id}"
        try:
            algorithm, fingerprint, previous, statement = (rawsql.text(values[i]) for i in (1, 3, 5, 6))
            public, signature, tree_size = rawsql.blob(values[2]), rawsql.blob(values[7]), values[4]
            at = rawsql.moment(values[8])
        except (ValueError, TypeError, OverflowError):
            trust._problem(where, _("The row cannot be read."), ref)
            continue
        parsed = _parse(statement)
        if parsed is None or parsed.public != public or parsed.algorithm != algorithm \
                or key_id(public or b"") != fingerprint or parsed.tree_size != tree_size \
                or parsed.previous != previous:
            trust._problem(where, _("The row differs from the key statement it carries."), ref)
            parsed = None
        candidates.append(_Candidate(where, ref, statement, parsed, previous or fingerprint, signature or b""))
        if parsed is not None:
            introduced.setdefault(parsed.key_id, at)
    return candidates, introduced


def _published_candidates(published: list[PublishedKey]) -> list[_Candidate]:
    return [_Candidate(_("published key statement %(where)s") % {"where": key.location}, f"published:{key.location}",
                       key.statement, _parse(key.statement), key.signer, key.signature, key.stored_at)
            for key in published]


def trusted_keys(published: Published) -> Trust:
    trust = Trust()
    in_database, introduced = _database_candidates(trust)
    database_chain = _chain(in_database, trust, _("the database"))
    if not published.keys:
        trust.keys = database_chain
        grace = timezone.now() - dt.timedelta(minutes=settings.LEDGER_PUBLISH_GRACE_MINUTES)
        if published.configured and not published.error:
            for key in database_chain:
                if introduced.get(key.key_id) and introduced[key.key_id] < grace:
                    trust._problem(_("signing key %(key)s") % {"key": key.key_id},
                                   _("The key is not in the write-once store although it was introduced long ago: "
                                     "its published statement was removed, or publishing has failed."),
                                   f"key:{key.key_id}")
        return trust
    published_chain = _chain(_published_candidates(published.keys), trust, _("the write-once store"))
    trust.keys = list(published_chain)
    statements = {key.statement for key in published_chain}
    for key in database_chain:
        if key.statement in statements:
            continue
        if trust.keys and key.previous == trust.keys[-1].key_id:
            trust.keys.append(key)  # introduced moments ago and not yet published: the old key vouches for it
            continue
        trust._problem(_("signing key %(key)s in the database") % {"key": key.key_id},
                       _("The write-once store's chain of keys does not introduce this key: checkpoints it signs "
                         "are not trusted."), f"key:{key.key_id}")
    database_statements = {key.statement for key in database_chain}
    for key in published_chain:
        if key.statement not in database_statements:
            trust._problem(_("signing key %(key)s") % {"key": key.key_id},
                           _("The key was published but its row is gone from the database."), f"key:{key.key_id}")
    return trust
