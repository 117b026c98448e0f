"""Kept figures written before decision 141 lack the buying centre's single-link members: date
them to a past day so that the job worker computes them again at its next pass (its due check
reads the day), before a reader of the buying centre or the coverage matrix has to."""

import datetime as dt

from django.db import migrations

PAST = dt.date(2000, 1, 1)


def outdate_without_single_link(apps, schema_editor):
    figures = apps.get_model("relationships", "AccountFigures")
    stale = [f.pk for f in figures.objects.only("pk", "payload") if "single_link" not in f.payload]
    for start in range(0, len(stale), 500):
        figures.objects.filter(pk__in=stale[start : start + 500]).update(as_of=PAST)


class Migration(migrations.Migration):
    dependencies = [("relationships", "0004_stance_champion_contact")]

    operations = [migrations.RunPython(outdate_without_single_link, migrations.RunPython.noop)]
