"""Objectors' names, contacts and e-mail addresses encrypted at rest (SM4-GCM, incentives.crypto): the columns
become text, then every existing value is encrypted with the current key of PERSONAL_DATA_KEYS. Reversible: going
back decrypts them (the key ring must still hold their keys), then the columns are as 0.2.0 left them."""

from django.db import migrations, models

import incentives.crypto

TABLE = "reviews_objection"
COLUMNS = ("name", "contact", "email")


def _rewrite(schema_editor, change):
    from incentives import crypto

    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(quote(c) for c in COLUMNS)} FROM {quote(TABLE)} ORDER BY id")
        rows = cursor.fetchall()
        assignments = ", ".join(f"{quote(c)} = %s" for c in COLUMNS)
        for pk, *values in rows:
            new = [change(value, f"{TABLE}.{column}", crypto) for column, value in zip(COLUMNS, values, strict=True)]
            if new != values:
                cursor.execute(f"UPDATE {quote(TABLE)} SET {assignments} WHERE id = %s", [*new, pk])


def encrypt_existing(apps, schema_editor):
    _rewrite(schema_editor, lambda value, context, crypto: value if not value or crypto.is_encrypted(value)
             else crypto.encrypt(value, context=context))


def decrypt_existing(apps, schema_editor):
    _rewrite(schema_editor, lambda value, context, crypto: crypto.decrypt(value, context=context)
             if crypto.is_encrypted(value) else value)


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0005_admin_order'),
    ]

    operations = [
        migrations.AddField(
            model_name='objection',
            name='personal_data_removed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='personal data removed at'),
        ),
        migrations.AlterField(
            model_name='objection',
            name='contact',
            field=incentives.crypto.EncryptedTextField(blank=True, help_text='Telephone or address', verbose_name='contact'),
        ),
        migrations.AlterField(
            model_name='objection',
            name='email',
            field=incentives.crypto.EncryptedTextField(blank=True, verbose_name='e-mail address'),
        ),
        migrations.AlterField(
            model_name='objection',
            name='name',
            field=incentives.crypto.EncryptedTextField(blank=True, verbose_name='real name'),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
    ]
