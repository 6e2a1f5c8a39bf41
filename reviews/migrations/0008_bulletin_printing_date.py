
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('nominations', '0007_entitlement_lists_without_ceiling'),
        ('reviews', '0007_screening'),
    ]

    operations = [
        migrations.CreateModel(
            name='BulletinPrinting',
            fields=[
                ('cycle', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='bulletin_printing', serialize=False, to='nominations.cycle', verbose_name='cycle')),
                ('printed_on', models.DateField(help_text='The date the closing block (版记) prints: …印发. Empty: the signing date', verbose_name='bulletin printing date')),
            ],
            options={
                'verbose_name': 'bulletin printing date',
                'verbose_name_plural': 'bulletin printing dates',
            },
        ),
        migrations.AlterField(
            model_name='bulletin',
            name='printed_on',
            field=models.DateField(blank=True, help_text='The date of printing (印发) in the closing block; if empty, the date fixed for the cycle, else the signing date', null=True, verbose_name='printing date'),
        ),
    ]
