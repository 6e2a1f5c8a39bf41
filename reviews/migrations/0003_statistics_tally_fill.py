"""Store the statistics' tallies of the years published before they were stored (``StatisticsTally``).

The counting is the application's (``reviews.selectors.public.statistics_tally_rows``), called only when there
are published years: a new database has none, so a later change of the models never runs it against an older
schema. A year left without its tallies is still counted by the page (``statistics``), so this is an optimisation
and reversing it only removes the rows."""

from django.db import migrations


def fill(apps, schema_editor):
    HistoricalCycle = apps.get_model("nominations", "Cycle")
    published = list(HistoricalCycle.objects.filter(state="published").values_list("pk", flat=True))
    if not published:
        return
    from nominations.models import Cycle
    from reviews.models import StatisticsTally
    from reviews.selectors.public import statistics_tally_rows

    for cycle in Cycle.objects.filter(pk__in=published):
        StatisticsTally.objects.filter(cycle=cycle).delete()
        StatisticsTally.objects.bulk_create(statistics_tally_rows(cycle))


def empty(apps, schema_editor):
    apps.get_model("reviews", "StatisticsTally").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0002_statistics_tally")]

    operations = [migrations.RunPython(fill, empty)]
