from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("identification", "0006_accountscore_values_data"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="accountscore",
            name="breakdown",
            field=models.JSONField(blank=True, default=dict, verbose_name="breakdown"),
        ),
    ]
