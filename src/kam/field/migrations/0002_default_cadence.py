"""The documented default visit cadence (decision 70): sites and companies of key, national and
global accounts monthly, their divisions every two months, group level and functions
quarterly; sites of transactional accounts twice a year."""

from django.db import migrations

KEY_TIERS = ("key", "national", "global")
DEFAULTS = [
    *[(tier, "site", 30) for tier in KEY_TIERS],
    *[(tier, "company", 30) for tier in KEY_TIERS],
    *[(tier, "division", 60) for tier in KEY_TIERS],
    *[(tier, "function", 90) for tier in KEY_TIERS],
    *[(tier, "group", 90) for tier in KEY_TIERS],
    ("transactional", "site", 180),
]


def seed(apps, schema_editor):
    cadence = apps.get_model("field", "VisitCadence")
    for tier, kind, days in DEFAULTS:
        cadence.objects.get_or_create(tier=tier, kind=kind, defaults={"interval_days": days})


def unseed(apps, schema_editor):
    cadence = apps.get_model("field", "VisitCadence")
    for tier, kind, _days in DEFAULTS:
        cadence.objects.filter(tier=tier, kind=kind).delete()


class Migration(migrations.Migration):
    dependencies = [("field", "0001_field_initial")]
    operations = [migrations.RunPython(seed, unseed)]
