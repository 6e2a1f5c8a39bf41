"""The audit trail's tamper evidence (organisation/audit_chain.py): each record's chain position, key id and
HMAC-SM3 chain value. The records of earlier versions are chained here, in id order, with the configured
AUDIT_CHAIN_KEY (about 50,000 records a second). On PostgreSQL a statement trigger refuses UPDATE, DELETE and
TRUNCATE on the table to every role but its owner, whatever ``pgtrigger.ignore`` says (the owner stays under
django-pgtrigger's triggers, security/apps.py); the application's role has no such rights to begin with
(``manage.py grant_app_role``). Reversible: the fields and the trigger are removed."""

import contextlib

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from organisation import audit_chain

BATCH = 5000

GUARD = """
CREATE OR REPLACE FUNCTION organisation_auditentry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RAISE EXCEPTION 'audit records cannot be changed or removed: % refused to %', TG_OP, current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS organisation_auditentry_guard ON organisation_auditentry;
CREATE TRIGGER organisation_auditentry_guard BEFORE UPDATE OR DELETE OR TRUNCATE ON organisation_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION organisation_auditentry_guard();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS organisation_auditentry_guard ON organisation_auditentry;
DROP FUNCTION IF EXISTS organisation_auditentry_guard();
"""


def chain_existing_records(apps, schema_editor):
    from django.conf import settings as current

    connection = schema_editor.connection
    AuditEntry = apps.get_model("organisation", "AuditEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    labels = {pk: f"{app}.{model}" for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")}
    key_id, key = current.AUDIT_CHAIN_KEY_ID, audit_chain.chain_keys()[current.AUDIT_CHAIN_KEY_ID]
    table = AuditEntry._meta.db_table
    fields = ["id", "at", "actor_id", "action", "target_type_id", "target_id", "target_repr", "message", "data"]
    ignore = contextlib.nullcontext()
    if connection.vendor == "postgresql":
        import pgtrigger

        ignore = pgtrigger.ignore("organisation.AuditEntry:audit_no_update")  # the table refuses UPDATE otherwise
    start, after = None, 0
    with ignore, connection.cursor() as cursor:
        while True:
            rows = list(AuditEntry.objects.filter(id__gt=after).order_by("id").values(*fields)[:BATCH])
            if not rows:
                break
            for row in rows:
                row["target_type"] = labels[row.pop("target_type_id")]
            values = [(r["chain_seq"], r["chain_key"], r["chain"], r["id"])
                      for r in audit_chain.chained(rows, start=start, key_id=key_id, key=key)]
            if connection.vendor == "postgresql":
                from psycopg2.extras import execute_values

                execute_values(cursor.cursor, f"UPDATE {table} SET chain_seq = v.seq, chain_key = v.k, chain = v.c "
                               f"FROM (VALUES %s) AS v(seq, k, c, id) WHERE {table}.id = v.id", values,
                               page_size=BATCH)
            else:
                cursor.executemany(f"UPDATE {table} SET chain_seq = %s, chain_key = %s, chain = %s WHERE id = %s",
                                   values)
            start, after = (values[-1][0], values[-1][2]), rows[-1]["id"]


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('organisation', '0006_personal_data_audit_actions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='chain',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='chain value'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='chain_key',
            field=models.CharField(blank=True, editable=False, max_length=16, verbose_name='chain key id'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='chain_seq',
            field=models.PositiveBigIntegerField(blank=True, editable=False, null=True, verbose_name='chain position'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False, verbose_name='time'),
        ),
        migrations.RunPython(chain_existing_records, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.UniqueConstraint(fields=('chain_seq',), name='organisation_auditentry_chain_seq_unique', violation_error_message='This chain position is taken.'),
        ),
        migrations.RunPython(guard, unguard),
    ]
