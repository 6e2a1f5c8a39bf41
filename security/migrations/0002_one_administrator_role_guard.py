"""The database refuses one person two of the three administrator roles (三员分立), however the row is written
(the admin, a service, a shell, raw SQL). On SQLite the trigger is created here; on PostgreSQL it is a trigger of
django-pgtrigger installed after every migrate (security/apps.py), like the audit table's."""

from django.db import migrations

ROLES = "('administrator', 'security_administrator', 'audit_administrator')"
MESSAGE = "one person cannot hold two administrator roles (system, security, audit administrator)"
CONDITION = f"""(SELECT name FROM auth_group WHERE id = NEW.group_id) IN {ROLES}
  AND EXISTS (SELECT 1 FROM auth_user_groups AS held JOIN auth_group AS g ON g.id = held.group_id
              WHERE held.user_id = NEW.user_id AND held.id <> NEW.id AND held.group_id <> NEW.group_id
                AND g.name IN {ROLES})"""

SQLITE_CREATE = [
    f"""CREATE TRIGGER security_one_administrator_role_insert BEFORE INSERT ON auth_user_groups
    WHEN {CONDITION.replace("held.id <> NEW.id AND ", "")}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER security_one_administrator_role_update BEFORE UPDATE OF user_id, group_id ON auth_user_groups
    WHEN {CONDITION}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS security_one_administrator_role_insert",
               "DROP TRIGGER IF EXISTS security_one_administrator_role_update"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for statement in statements:
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("security", "0001_initial"),
    ]

    operations = [migrations.RunPython(_run(SQLITE_CREATE), _run(SQLITE_DROP), elidable=False)]
