
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('nominations', '0005_nominee_ranking_departure'),
    ]

    operations = [
        migrations.AddField(
            model_name='cycle',
            name='bulletin_printed_on',
            field=models.DateField(blank=True, help_text='The date the closing block (版记) prints: …印发. Empty: the signing date', null=True, verbose_name='bulletin printing date'),
        ),
    ]
