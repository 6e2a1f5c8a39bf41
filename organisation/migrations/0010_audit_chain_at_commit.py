"""Audit records are chained just before their transaction commits (organisation.audit.chain_pending) instead of
as they are written, so a transaction no longer holds the chain's lock while it waits for rows (a deadlock under
load). The application's role may therefore fill in a record's chain position and value once, while they are
empty, and nothing else: the statement guard of 0007 keeps refusing DELETE and TRUNCATE to every role but the
owner, and a row guard refuses every other UPDATE. A partial index finds the records waiting to be chained."""

from django.db import migrations, models

from organisation.audit_chain import kept_columns_sql

GUARD = f"""
CREATE OR REPLACE FUNCTION organisation_auditentry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RAISE EXCEPTION 'audit records cannot be changed or removed: % refused to %', TG_OP, current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS organisation_auditentry_guard ON organisation_auditentry;
CREATE TRIGGER organisation_auditentry_guard BEFORE DELETE OR TRUNCATE ON organisation_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION organisation_auditentry_guard();

CREATE OR REPLACE FUNCTION organisation_auditentry_seal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')
       OR (OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
           AND {kept_columns_sql('OLD')} IS NOT DISTINCT FROM {kept_columns_sql('NEW')}) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit records cannot be changed: UPDATE refused to % (only an unchained record''s chain '
                    'position and value may be filled in, once)', current_user
        USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER IF EXISTS organisation_auditentry_seal_guard ON organisation_auditentry;
CREATE TRIGGER organisation_auditentry_seal_guard BEFORE UPDATE ON organisation_auditentry
    FOR EACH ROW EXECUTE FUNCTION organisation_auditentry_seal_guard();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS organisation_auditentry_seal_guard ON organisation_auditentry;
DROP FUNCTION IF EXISTS organisation_auditentry_seal_guard();
DROP TRIGGER IF EXISTS organisation_auditentry_guard ON organisation_auditentry;
CREATE TRIGGER organisation_auditentry_guard BEFORE UPDATE OR DELETE OR TRUNCATE ON organisation_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION organisation_auditentry_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("organisation", "0009_unit_order"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(condition=models.Q(("chain_seq__isnull", True)), fields=["id"],
                               name="organisation_audit_unchained"),
        ),
        migrations.RunPython(guard, unguard, elidable=False),
    ]
