"""Every existing account's facts timeline is computed by the next scoring run (data only)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("identification", "0003_account_facts"),
        ("customers", "0002_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "INSERT INTO identification_staleaccount (root_path) "
                "SELECT path FROM customers_unit WHERE depth = 1"
            ),
            reverse_sql="DELETE FROM identification_staleaccount",
        )
    ]
