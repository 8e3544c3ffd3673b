"""Database triggers that refuse UPDATE and DELETE on the ledger's tables, and the PostgreSQL grants to match.

The triggers catch mistakes and casual edits; the Merkle tree, the signed checkpoints and their copies in the
write-once store are what make a determined edit visible (``manage.py ledger verify``). The head row changes on
every append, so it only refuses to shrink or to go.
"""

from __future__ import annotations

APPEND_ONLY_TABLES = ("ledger_event", "ledger_merklenode", "ledger_checkpoint", "ledger_ledgerkey")
HEAD_TABLE = "ledger_ledgerhead"
MESSAGE = "ledger tables are append-only"


def create_sql(vendor: str, tables: tuple[str, ...] = (*APPEND_ONLY_TABLES, HEAD_TABLE)) -> list[str]:
    appended = [t for t in tables if t in APPEND_ONLY_TABLES]
    if vendor == "sqlite":
        statements = [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            for table in appended for op in ("UPDATE", "DELETE")
        ]
        if HEAD_TABLE in tables:
            statements += [
                f"CREATE TRIGGER IF NOT EXISTS {HEAD_TABLE}_no_shrink BEFORE UPDATE ON {HEAD_TABLE} "
                f"WHEN NEW.size < OLD.size BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
                f"CREATE TRIGGER IF NOT EXISTS {HEAD_TABLE}_no_delete BEFORE DELETE ON {HEAD_TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
            ]
        return statements
    if vendor == "postgresql":
        statements = [
            "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
            # No '%' placeholders here: the statement goes through the driver's parameter formatting.
            f"$$ BEGIN RAISE EXCEPTION USING MESSAGE = '{MESSAGE}: ' || TG_OP || ' on ' || TG_TABLE_NAME; END $$"
        ]
        for table in appended:
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            statements.append(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                              "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()")
        if HEAD_TABLE in tables:
            statements += [
                f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_shrink ON {HEAD_TABLE}",
                f"CREATE TRIGGER {HEAD_TABLE}_no_shrink BEFORE UPDATE ON {HEAD_TABLE} FOR EACH ROW "
                "WHEN (NEW.size < OLD.size) EXECUTE FUNCTION ledger_refuse_change()",
                f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_delete ON {HEAD_TABLE}",
                f"CREATE TRIGGER {HEAD_TABLE}_no_delete BEFORE DELETE ON {HEAD_TABLE} FOR EACH ROW "
                "EXECUTE FUNCTION ledger_refuse_change()",
            ]
        return statements
    raise NotImplementedError(f"no append-only triggers for {vendor}")


def drop_sql(vendor: str, tables: tuple[str, ...] = (*APPEND_ONLY_TABLES, HEAD_TABLE)) -> list[str]:
    appended = [t for t in tables if t in APPEND_ONLY_TABLES]
    head = HEAD_TABLE in tables
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()}" for table in appended
                for op in ("UPDATE", "DELETE")] + ([f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_{what}"
                                                    for what in ("shrink", "delete")] if head else [])
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in appended] + (
        [f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_{what} ON {HEAD_TABLE}" for what in ("shrink", "delete")]
        if head else [])


def grant_sql(role: str) -> list[str]:
    """For an application role in PostgreSQL: read and append the ledger, never rewrite or empty it."""
    if not role.replace("_", "").isalnum():
        raise ValueError(f"not a plain role name: {role}")
    tables = ", ".join(APPEND_ONLY_TABLES)
    return [f"REVOKE UPDATE, DELETE, TRUNCATE ON {tables} FROM {role}",
            f"GRANT SELECT, INSERT ON {tables} TO {role}",
            f"REVOKE DELETE, TRUNCATE ON {HEAD_TABLE} FROM {role}",
            f"GRANT SELECT, INSERT, UPDATE ON {HEAD_TABLE} TO {role}"]


def _existing(schema_editor) -> tuple[str, ...]:
    # Older migrations call these too, when later tables do not exist yet (or no longer, migrating back).
    names = set(schema_editor.connection.introspection.table_names())
    return tuple(t for t in (*APPEND_ONLY_TABLES, HEAD_TABLE) if t in names)


def install(schema_editor) -> None:
    for statement in create_sql(schema_editor.connection.vendor, _existing(schema_editor)):
        schema_editor.execute(statement)


def uninstall(schema_editor) -> None:
    for statement in drop_sql(schema_editor.connection.vendor, _existing(schema_editor)):
        schema_editor.execute(statement)
