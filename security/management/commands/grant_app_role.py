"""The application's database role (deploy/README.md, "Two database roles"): created when missing, and given row
rights only. Idempotent: `manage.py init` runs it after every migrate when DATABASE_OWNER_URL is set."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from incentives import databases
from organisation.models import AuditEntry


class Command(BaseCommand):
    help = ("PostgreSQL, as the tables' owner (DATABASE_OWNER_URL): create the application's role (the user of "
            "DATABASE_URL, with its password) when missing; grant it SELECT, INSERT, UPDATE, DELETE on every table "
            "and USAGE on every sequence, now and for the tables later migrations create; on the audit table only "
            "SELECT and INSERT. Never TRUNCATE, ownership, superuser. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--role", default="", help="the application's role (default: DATABASE_URL's user)")

    def handle(self, *args, role="", **options):
        if not databases.has("roles", connection):
            self.stdout.write(f"{databases.vendor(connection)}: no roles to grant here (incentives.databases).")
            return
        import dj_database_url
        from psycopg2 import sql

        role = role or settings.DATABASE_APP_ROLE
        password = dj_database_url.parse(settings.DATABASE_URL).get("PASSWORD") or None
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database(), current_schema()")
            owner, database, schema = cursor.fetchone()
        if not role or role == owner:
            raise CommandError(f"DATABASE_URL connects as {owner!r}, the tables' owner: give the application a role "
                               f"of its own (DATABASE_URL) and the owner's to DATABASE_OWNER_URL")
        names = {"role": sql.Identifier(role), "owner": sql.Identifier(owner), "db": sql.Identifier(database),
                 "schema": sql.Identifier(schema), "audit": sql.Identifier(AuditEntry._meta.db_table)}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
            found = cursor.fetchone()
            if found is None:
                cursor.execute(sql.SQL("CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                                       "NOBYPASSRLS").format(**names)
                               + (sql.SQL(" PASSWORD {}").format(sql.Literal(password)) if password else sql.SQL("")))
                self.stdout.write(f"Role {role} created.")
            elif any(found):
                raise CommandError(f"The role {role!r} is a superuser or may create roles or bypass row security: "
                                   f"the application's role must not (ALTER ROLE {role} NOSUPERUSER NOCREATEROLE "
                                   f"NOBYPASSRLS)")
            cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
            if cursor.fetchone()[0]:
                raise CommandError(f"The role {role!r} is a member of the owner {owner!r}: it would have the "
                                   f"owner's rights (REVOKE {owner} FROM {role})")
            for statement in (
                "GRANT CONNECT ON DATABASE {db} TO {role}",
                "GRANT USAGE ON SCHEMA {schema} TO {role}",
                "REVOKE CREATE ON SCHEMA {schema} FROM {role}",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
                "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {schema} FROM {role}",
                "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
                "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
                "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
                "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
                # The audit trail: written and read, never changed nor removed (only the owner archives).
                "REVOKE UPDATE, DELETE, TRUNCATE ON {audit} FROM {role}",
                # … but for a record's chain position and value, filled in once just before its transaction
                # commits (organisation.audit.chain_pending); the table's row guard refuses any other change.
                "GRANT UPDATE (chain_seq, chain) ON {audit} TO {role}",
            ):
                cursor.execute(sql.SQL(statement).format(**names))
        self.stdout.write(f"Role {role}: row rights on the tables of {database}; on {AuditEntry._meta.db_table} "
                          f"SELECT and INSERT, and UPDATE of a new record's chain position and value only.")
