"""Database triggers that refuse UPDATE and DELETE on the ledger's tables, and the PostgreSQL grants to match.

The triggers catch mistakes and casual edits; the Merkle tree and the signed checkpoints are what make a
determined edit visible (``manage.py ledger verify``).
"""

from __future__ import annotations

APPEND_ONLY_TABLES = ("ledger_event", "ledger_merklenode", "ledger_checkpoint")
MESSAGE = "ledger tables are append-only"


def create_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            for table in APPEND_ONLY_TABLES for op in ("UPDATE", "DELETE")
        ]
    if vendor == "postgresql":
        statements = [
            "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
            # No '%' placeholders here: the statement goes through the driver's parameter formatting.
            f"$$ BEGIN RAISE EXCEPTION USING MESSAGE = '{MESSAGE}: ' || TG_OP || ' on ' || TG_TABLE_NAME; END $$"
        ]
        for table in APPEND_ONLY_TABLES:
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            statements.append(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                              "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()")
        return statements
    raise NotImplementedError(f"no append-only triggers for {vendor}")


def drop_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()}"
                for table in APPEND_ONLY_TABLES for op in ("UPDATE", "DELETE")]
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in APPEND_ONLY_TABLES]


def grant_sql(role: str) -> list[str]:
    """For an application role in PostgreSQL: read and append the ledger, never rewrite or empty it."""
    if not role.replace("_", "").isalnum():
        raise ValueError(f"not a plain role name: {role}")
    tables = ", ".join(APPEND_ONLY_TABLES)
    return [f"REVOKE UPDATE, DELETE, TRUNCATE ON {tables} FROM {role}",
            f"GRANT SELECT, INSERT ON {tables} TO {role}"]


def install(schema_editor) -> None:
    for statement in create_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def uninstall(schema_editor) -> None:
    for statement in drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)
