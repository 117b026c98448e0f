"""Sub-units carry no account manager and no key-account tier (decisions 23 and 24).

Until now the unit form, the API and the unit import accepted both on a sub-unit, where they
had no effect: permissions and scoring read them from the account. Clear them so that the data
says what the code does. The old values are not restored on the way back: they never meant
anything, and the reverse step only has to let the schema go back.
"""

from django.db import migrations

# Inside a migration the tree helpers of kam.customers.models are not available (historical
# models); depth 1 is an account, as there.
ACCOUNT_DEPTH = 1


def clear(apps, schema_editor):
    Unit = apps.get_model("customers", "Unit")
    sub_units = Unit.objects.filter(depth__gt=ACCOUNT_DEPTH)
    sub_units.exclude(account_manager=None).update(account_manager=None)
    sub_units.exclude(tier="transactional").update(tier="transactional")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_unit_account_level_help_text"),
    ]

    operations = [
        migrations.RunPython(clear, migrations.RunPython.noop),
    ]
