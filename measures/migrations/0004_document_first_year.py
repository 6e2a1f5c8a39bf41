
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('measures', '0003_stored_file'),
    ]

    operations = [
        migrations.AddField(
            model_name='policydocument',
            name='first_year',
            field=models.PositiveSmallIntegerField(blank=True, help_text='从2023年起: the first year bureaus propose units under this document (2023 for 穗府办〔2022〕30号), for the year before: no cycle assesses an earlier performance year', null=True, verbose_name='first year of nominations'),
        ),
    ]
