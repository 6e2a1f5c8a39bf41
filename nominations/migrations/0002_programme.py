"""Cycles and reminder settings belong to a programme: every existing cycle is its document's programme's
(Guangzhou's), the reminder settings row is Guangzhou's; a cycle's year is unique per programme."""

import django.db.models.deletion
from django.db import migrations, models

import organisation.models


def cycles_attach(apps, schema_editor):
    programme = apps.get_model("organisation", "Programme").objects.get(is_default=True)
    Cycle = apps.get_model("nominations", "Cycle")
    for cycle in Cycle.objects.filter(programme__isnull=True).select_related("document"):
        cycle.programme_id = cycle.document.programme_id or programme.pk
        cycle.save(update_fields=["programme"])
    ReminderSettings = apps.get_model("nominations", "ReminderSettings")
    # There was one row (pk 1): it becomes the default programme's.
    first = ReminderSettings.objects.filter(programme__isnull=True).order_by("pk").first()
    if first is not None:
        ReminderSettings.objects.filter(programme__isnull=True).exclude(pk=first.pk).delete()
        first.programme = programme
        first.save(update_fields=["programme"])


class Migration(migrations.Migration):

    dependencies = [
        ('nominations', '0001_initial'),
        ('measures', '0002_programme'),
        ('organisation', '0002_programme'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='cycle',
            name='nominations_cycle_unique_bulletin_number',
        ),
        migrations.AddField(
            model_name='cycle',
            name='programme',
            field=models.ForeignKey(editable=False, help_text="Its policy document's programme", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cycles', to='organisation.programme', verbose_name='programme'),
        ),
        migrations.AddField(
            model_name='remindersettings',
            name='programme',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reminder_settings', to='organisation.programme', verbose_name='programme'),
        ),
        migrations.RunPython(cycles_attach, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='cycle',
            name='programme',
            field=models.ForeignKey(editable=False, help_text="Its policy document's programme", on_delete=django.db.models.deletion.PROTECT, related_name='cycles', to='organisation.programme', verbose_name='programme'),
        ),
        migrations.AlterField(
            model_name='remindersettings',
            name='programme',
            field=models.OneToOneField(default=organisation.models.default_programme_id, on_delete=django.db.models.deletion.PROTECT, related_name='reminder_settings', to='organisation.programme', verbose_name='programme'),
        ),
        migrations.AlterField(
            model_name='cycle',
            name='year',
            field=models.PositiveSmallIntegerField(verbose_name='performance year'),
        ),
        migrations.AddConstraint(
            model_name='cycle',
            constraint=models.UniqueConstraint(fields=('programme', 'year'), name='nominations_cycle_unique_year', violation_error_message='This programme already has a cycle for this year.'),
        ),
        migrations.AddConstraint(
            model_name='cycle',
            constraint=models.UniqueConstraint(condition=models.Q(('bulletin_number', ''), _negated=True), fields=('programme', 'bulletin_number'), name='nominations_cycle_unique_bulletin_number', violation_error_message="Another cycle's bulletin has this document number."),
        ),
    ]
