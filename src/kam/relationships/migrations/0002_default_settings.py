"""The relationship settings row with the documented defaults (DOMAIN §5, §7)."""

from django.db import migrations


def seed(apps, schema_editor):
    settings = apps.get_model("relationships", "RelationshipSettings")
    if not settings.objects.exists():
        settings.objects.create()


class Migration(migrations.Migration):
    dependencies = [("relationships", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
