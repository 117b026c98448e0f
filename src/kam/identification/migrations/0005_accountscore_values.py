from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("identification", "0004_account_facts_stale"),
    ]

    operations = [
        migrations.AddField(
            model_name="accountscore",
            name="values",
            field=models.JSONField(blank=True, default=dict, verbose_name="criterion values"),
        ),
    ]
