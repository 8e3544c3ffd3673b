"""三员分立 in the database itself: an account holding the system, security or audit administrator's role holds no
other role, whoever writes the row. ``org.role_changes`` refuses it with a reason first; these triggers refuse what
reaches the table behind the application's back (a console, a script, raw SQL).
"""

from __future__ import annotations

from authz.roles import ADMINS

TABLE = "org_rolegrant"
MESSAGE = "separation of duties: an administrator account holds no other role"
_ADMINS = ", ".join(f"'{role}'" for role in sorted(str(r) for r in ADMINS))
# A row breaks the rule when its user holds another role and either role is an administrator's.
_CLASH = (f"EXISTS (SELECT 1 FROM {TABLE} g WHERE g.user_id = NEW.user_id AND g.role <> NEW.role "
          f"AND g.id IS NOT NEW.id AND (NEW.role IN ({_ADMINS}) OR g.role IN ({_ADMINS})))")


def create_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f"CREATE TRIGGER IF NOT EXISTS {TABLE}_separation_{op.lower()} BEFORE {op} ON {TABLE} "
                f"WHEN {_CLASH} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END" for op in ("INSERT", "UPDATE")]
    if vendor == "postgresql":
        clash = _CLASH.replace("g.id IS NOT NEW.id", "g.id IS DISTINCT FROM NEW.id")
        return [
            # The user's row is locked first, so two grants written at once for one account are judged one after
            # the other rather than each against a table without the other.
            "CREATE OR REPLACE FUNCTION org_rolegrant_separation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "PERFORM 1 FROM org_user WHERE id = NEW.user_id FOR UPDATE; "
            f"IF {clash} THEN RAISE EXCEPTION USING MESSAGE = '{MESSAGE}'; END IF; RETURN NEW; END $$",
            f"DROP TRIGGER IF EXISTS {TABLE}_separation ON {TABLE}",
            f"CREATE TRIGGER {TABLE}_separation BEFORE INSERT OR UPDATE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION org_rolegrant_separation()",
        ]
    raise NotImplementedError(f"no separation triggers for {vendor}")


def drop_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {TABLE}_separation_{op.lower()}" for op in ("insert", "update")]
    return [f"DROP TRIGGER IF EXISTS {TABLE}_separation ON {TABLE}",
            "DROP FUNCTION IF EXISTS org_rolegrant_separation()"]


def install(apps, schema_editor) -> None:
    for statement in create_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def uninstall(apps, schema_editor) -> None:
    for statement in drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)
