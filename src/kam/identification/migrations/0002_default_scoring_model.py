"""Seed the default scoring model of DOMAIN.md §3 (13 criteria) and make it active."""

from django.db import migrations

NAME = "Default key-account model"

# group, key, name, source, normalisation, cap, weight, description
CRITERIA = [
    ("potential", "revenue", "Current revenue", "revenue_12m", "percentile", None, 10,
     "Net revenue of the last 12 full months over the account's subtree (monthly roll-ups)."),
    ("potential", "wallet", "Wallet (potential)", "wallet", "percentile", None, 20,
     "Manual wallet estimate; else the peer estimate: 0.8 quantile of revenue per employee in "
     "the same industry (and size band) × employees, when at least 10 peers exist."),
    ("potential", "growth", "Growth", "growth", "percentile", None, 5,
     "Revenue of the last 12 months against the prior 12 months (gap without prior revenue)."),
    ("potential", "profitability", "Profitability", "margin", "percentile", None, 5,
     "Gross margin % of the last 12 months, from the lines that carry a cost."),
    ("complexity", "dmu_size", "DMU size", "dmu_size", "percentile", None, 8,
     "Data source until the relationships app records buying-centre roles: the number of "
     "current contacts anywhere in the account's subtree."),
    ("complexity", "functional_areas", "Functional areas", "functions", "percentile", None, 6,
     "Distinct functions among the account's current contacts."),
    ("complexity", "operating_units", "Operating units", "operating_units", "percentile", None, 6,
     "Units of the subtree with revenue in the last 12 months or current contacts."),
    ("complexity", "geographic_spread", "Geographic spread", "geo_spread", "percentile", None, 6,
     "Distinct regions + distinct countries of the units with revenue, contacts or sites."),
    ("complexity", "choice_criteria", "Choice criteria", "buying_criteria", "percentile", None, 4,
     "Buying criteria recorded for the account."),
    ("relational", "willingness", "Partnership willingness", "willingness", "rubric", None, 12,
     "Assessed 0–10 by the KAM or a customer survey."),
    ("relational", "agreement_horizon", "Agreement horizon", "agreement_horizon",
     "capped_linear", 36, 6, "Months of the current agreement (36 months or more count fully)."),
    ("relational", "purchase_continuity", "Purchase continuity", "purchase_continuity",
     "capped_linear", 1, 6, "Months with purchases in the last 24, / 24."),
    ("relational", "joint_initiatives", "Joint initiatives", "joint_initiatives",
     "capped_linear", 3, 6, "Active joint initiatives (capped at 3)."),
]


def seed(apps, schema_editor):
    ScoringModel = apps.get_model("identification", "ScoringModel")
    Criterion = apps.get_model("identification", "Criterion")
    if ScoringModel.objects.filter(version=1).exists():
        return
    model = ScoringModel.objects.create(
        name=NAME,
        version=1,
        status="active",
        description="Default model of DOMAIN.md §3: potential 40, complexity 30, relational 30.",
    )
    Criterion.objects.bulk_create(
        Criterion(
            model=model, group=group, key=key, name=name, source=source,
            normalisation=normalisation, cap=cap, weight=weight, description=description,
            order=order,
        )
        for order, (group, key, name, source, normalisation, cap, weight, description) in enumerate(
            CRITERIA, start=1
        )
    )


def unseed(apps, schema_editor):
    ScoringModel = apps.get_model("identification", "ScoringModel")
    Criterion = apps.get_model("identification", "Criterion")
    ids = list(
        ScoringModel.objects.filter(version=1, name=NAME, runs__isnull=True).values_list(
            "pk", flat=True
        )
    )
    Criterion.objects.filter(model_id__in=ids).delete()
    # A plain DELETE: the deletion collector trips over the historical model state here.
    table = schema_editor.quote_name(ScoringModel._meta.db_table)
    for pk in ids:
        schema_editor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])


class Migration(migrations.Migration):
    dependencies = [("identification", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
