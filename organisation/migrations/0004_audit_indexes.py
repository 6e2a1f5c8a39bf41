"""Indexes for searching the audit trail (organisation.audit.audit_entries_filtered): a person's records and an
action's, newest first; failed sign-ins by the account name typed; and on PostgreSQL a part of an object's name
(a trigram index on UPPER(target_repr), the expression Django's ``icontains`` compares). SQLite has no index for
a LIKE with a leading wildcard: there that one search reads the table."""

import django.db.models.fields.json
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models


TRIGRAM_INDEX = "organisation_audit_repr_trgm"


def trigram_index_add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON organisation_auditentry "
                          "USING gin ((UPPER(target_repr::text)) gin_trgm_ops)")


def trigram_index_remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('organisation', '0003_audit_actions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['actor', '-at'], name='organisation_audit_actor_idx'),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['action', '-at'], name='organisation_audit_action_idx'),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(django.db.models.functions.comparison.Cast(django.db.models.fields.json.KeyTextTransform('username', 'data'), models.CharField(max_length=150)), condition=models.Q(('actor__isnull', True)), name='organisation_audit_typed_idx'),
        ),
        migrations.RunPython(trigram_index_add, trigram_index_remove, elidable=False),
    ]
