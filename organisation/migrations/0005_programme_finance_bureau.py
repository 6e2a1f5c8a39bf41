"""A programme names its finance bureau (the programme's finance role); Guangzhou's is 市财政局.

Before this, "finance staff" were the members of any bureau short-named 市财政局, in any programme."""

import django.db.models.deletion
from django.db import migrations, models


def guangzhou_finance_bureau(apps, schema_editor):
    Programme = apps.get_model("organisation", "Programme")
    Bureau = apps.get_model("organisation", "Bureau")
    for programme in Programme.objects.filter(finance_bureau__isnull=True):
        bureau = Bureau.objects.filter(programme=programme, short_name="市财政局").first()
        if bureau is not None:
            programme.finance_bureau = bureau
            programme.save(update_fields=["finance_bureau"])


class Migration(migrations.Migration):

    dependencies = [
        ("organisation", "0004_audit_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="programme",
            name="finance_bureau",
            field=models.ForeignKey(blank=True, help_text="Its staff set the amounts awards pledge and enter disbursements.",
                                    null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                    to="organisation.bureau", verbose_name="finance bureau"),
        ),
        migrations.RunPython(guangzhou_finance_bureau, migrations.RunPython.noop),
    ]
