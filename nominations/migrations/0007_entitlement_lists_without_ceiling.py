
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('nominations', '0006_reminder_ladder_lights'),
        ('organisation', '0011_bureau_leader'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='nominee',
            name='nominations_nominee_rank_range',
        ),
        migrations.AddConstraint(
            model_name='nominee',
            constraint=models.CheckConstraint(condition=models.Q(('rank__gte', 1)), name='nominations_nominee_rank_positive', violation_error_message="A nominee's rank is 1 or more."),
        ),
    ]
