"""Scores keep [raw, normalised] per criterion; names and weights come from the run's model."""

from django.db import migrations

BATCH = 2000


def forward(apps, schema_editor):
    AccountScore = apps.get_model("identification", "AccountScore")
    batch = []
    for score in AccountScore.objects.only("pk", "breakdown").iterator(chunk_size=BATCH):
        score.values = {
            key: [item.get("raw"), item.get("normalised") or 0.0]
            for key, item in (score.breakdown or {}).items()
        }
        batch.append(score)
        if len(batch) >= BATCH:
            AccountScore.objects.bulk_update(batch, ["values"])
            batch = []
    AccountScore.objects.bulk_update(batch, ["values"])


def backward(apps, schema_editor):
    AccountScore = apps.get_model("identification", "AccountScore")
    Criterion = apps.get_model("identification", "Criterion")
    criteria: dict[int, list] = {}
    batch = []
    scores = AccountScore.objects.select_related("run").only("pk", "values", "run__model_id")
    for score in scores.iterator(chunk_size=BATCH):
        model_id = score.run.model_id
        if model_id not in criteria:
            criteria[model_id] = list(Criterion.objects.filter(model_id=model_id))
        taking_part = [c for c in criteria[model_id] if c.key in (score.values or {})]
        total = sum(c.weight for c in taking_part) or 1
        score.breakdown = {
            c.key: {
                "name": c.name,
                "group": c.group,
                "raw": score.values[c.key][0],
                "normalised": score.values[c.key][1],
                "weight": c.weight,
                "contribution": round(100 * c.weight * score.values[c.key][1] / total, 2),
                "gap": score.values[c.key][0] is None,
            }
            for c in taking_part
        }
        batch.append(score)
        if len(batch) >= BATCH:
            AccountScore.objects.bulk_update(batch, ["breakdown"])
            batch = []
    AccountScore.objects.bulk_update(batch, ["breakdown"])


class Migration(migrations.Migration):
    dependencies = [
        ("identification", "0005_accountscore_values"),
    ]

    operations = [migrations.RunPython(forward, backward)]
