from django.db import migrations, models


class Migration(migrations.Migration):
    """The leader's sign-off (签发): a programme may require it; a bureau's member may be its leader."""

    dependencies = [
        ('organisation', '0011_bureau_leader'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='is_leader',
            field=models.BooleanField(default=False, help_text="Signs off the bureau's lists (签发) where the programme requires it.", verbose_name='leader of the bureau'),
        ),
        migrations.AddField(
            model_name='programme',
            name='sign_off_required',
            field=models.BooleanField(default=False, help_text="A bureau's list reaches the General Office only once the bureau's leader signed it off (签发).", verbose_name="lists need the bureau leader's sign-off"),
        ),
    ]
