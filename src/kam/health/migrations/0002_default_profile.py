"""The default health profile with the weights of DOMAIN §6 as its active version 1."""

from django.db import migrations


def create(apps, schema_editor):
    Profile = apps.get_model("health", "HealthProfile")
    Version = apps.get_model("health", "HealthProfileVersion")
    if Profile.objects.filter(is_default=True).exists():
        return
    profile = Profile.objects.create(
        code="standard",
        name="Standard",
        description="Weights and bands of DOMAIN §6; used where no rule assigns another profile.",
        is_default=True,
    )
    Version.objects.create(
        profile=profile,
        number=1,
        status="active",
        combine="weighted",
        weights={
            "frequency": 25,
            "continuity": 20,
            "breadth": 20,
            "depth": 10,
            "our_side": 10,
            "recency": 15,
        },
    )


def remove(apps, schema_editor):
    apps.get_model("health", "HealthProfile").objects.filter(code="standard").delete()


class Migration(migrations.Migration):
    dependencies = [("health", "0001_health_scores")]

    operations = [migrations.RunPython(create, remove)]
