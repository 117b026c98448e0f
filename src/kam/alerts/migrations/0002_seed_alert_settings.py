"""The settings row with the documented defaults (DOMAIN §6)."""

from django.db import migrations


def seed(apps, schema_editor):
    AlertSettings = apps.get_model("alerts", "AlertSettings")
    if not AlertSettings.objects.exists():
        AlertSettings.objects.create()


def unseed(apps, schema_editor):
    apps.get_model("alerts", "AlertSettings").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_alert_store")]

    operations = [migrations.RunPython(seed, unseed)]
