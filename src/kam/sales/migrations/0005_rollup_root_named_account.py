"""MonthlyRollup.root is called account in code; the column stays root_id (no table change)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_initial"),
        ("sales", "0004_transaction_currency_reporting_default"),
    ]

    operations = [
        # First pin the column name, then rename the field: neither step touches the table.
        migrations.AlterField(
            model_name="monthlyrollup",
            name="root",
            field=models.ForeignKey(
                db_column="root_id",
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="customers.unit",
            ),
        ),
        migrations.RenameField(model_name="monthlyrollup", old_name="root", new_name="account"),
        # The covering index names the field: the same index on the same column, in state only.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="monthlyrollup", name="rollup_root_month_amount"),
                migrations.AddIndex(
                    model_name="monthlyrollup",
                    index=models.Index(
                        fields=["account", "month", "net_amount"],
                        name="rollup_root_month_amount",
                    ),
                ),
            ],
        ),
    ]
