"""Policy documents belong to a programme: every existing document is Guangzhou's; numbers are unique per
programme."""

import django.db.models.deletion
from django.db import migrations, models

import organisation.models


def documents_attach(apps, schema_editor):
    programme = apps.get_model("organisation", "Programme").objects.get(is_default=True)
    apps.get_model("measures", "PolicyDocument").objects.filter(programme__isnull=True).update(programme=programme)


class Migration(migrations.Migration):

    dependencies = [
        ('measures', '0001_initial'),
        ('organisation', '0002_programme'),
    ]

    operations = [
        migrations.AddField(
            model_name='policydocument',
            name='programme',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='organisation.programme', verbose_name='programme'),
        ),
        migrations.RunPython(documents_attach, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='policydocument',
            name='programme',
            field=models.ForeignKey(default=organisation.models.default_programme_id, on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='organisation.programme', verbose_name='programme'),
        ),
        migrations.AlterField(
            model_name='policydocument',
            name='number',
            field=models.CharField(help_text='e.g. 穗府办〔2022〕30号', max_length=64, verbose_name='document number'),
        ),
        migrations.AddConstraint(
            model_name='policydocument',
            constraint=models.UniqueConstraint(fields=('programme', 'number'), name='measures_policydocument_unique_number', violation_error_message='This programme already has a document with this number.'),
        ),
    ]
