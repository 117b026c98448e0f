"""Kept figures written before decision 141 lack the buying centre's single-link members: date
them to a past day so that the job worker computes them again at its next pass (its due check
reads the day), before a reader of the buying centre or the coverage matrix has to."""

import datetime as dt

from django.db import migrations

PAST = dt.date(2000, 1, 1)


def outdate_without_single_link(apps, schema_editor):
    # one UPDATE: the payloads are not read into memory (the matrix of a large account is big)
    figures = apps.get_model("relationships", "AccountFigures")
    figures.objects.exclude(payload__has_key="single_link").update(as_of=PAST)


class Migration(migrations.Migration):
    dependencies = [("relationships", "0004_stance_champion_contact")]

    operations = [migrations.RunPython(outdate_without_single_link, migrations.RunPython.noop)]
