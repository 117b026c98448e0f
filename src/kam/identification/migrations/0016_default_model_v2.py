"""Seed the default scoring model v2 (decision 86) and make it the active one.

v2 puts the learned expected revenue of the next 12 months into the purchasing-potential group
and re-balances the defaults so that, on data with sales only, the ranking is driven by expected
value and growth rather than by purchase frequency: purchase continuity weighs 0 (the
prediction reads purchase frequency already), and the key-candidate threshold is 55 instead of
60 (the ~6 points continuity gave almost every buyer are gone). v1 stays, archived, with its
runs and scores; v2 is activated only when v1 is still the active model (a model someone
activated stays active).
"""

from django.db import migrations

NAME = "Default key-account model"
VERSION = 2

# group, key, name, source, normalisation, cap, weight, description
CRITERIA = [
    ("potential", "expected_revenue", "Expected revenue, next 12 months", "expected_revenue",
     "percentile", None, 30,
     "Predicted from the account's monthly sales history (recency, frequency, trend, "
     "seasonality, product lines, units buying, tenure) by gradient boosting trained on earlier "
     "cut-offs of the same history."),
    ("potential", "revenue", "Current revenue", "revenue_12m", "percentile", None, 0,
     "Net revenue of the last 12 full months over the account's subtree (weight 0 in v2: the "
     "expected revenue starts from it and adds its trend)."),
    ("potential", "wallet", "Wallet (potential)", "wallet", "percentile", None, 10,
     "Manual wallet estimate; else the peer estimate (0.8 quantile of revenue per employee in "
     "the same industry and size band × employees); never below the account's own trajectory."),
    ("potential", "growth", "Growth", "growth", "percentile", None, 0,
     "Revenue of the last 12 months against the prior 12 months (weight 0 in v2: a percentile "
     "of growth % lifts small accounts over large ones at the top of the ranking; the expected "
     "revenue carries the trend in money)."),
    ("potential", "profitability", "Profitability", "margin", "percentile", None, 5,
     "Gross margin % of the last 12 months, from the lines that carry a cost."),
    ("complexity", "dmu_size", "DMU size", "dmu_size", "percentile", None, 7,
     "Contacts with a buying-centre role at the account; without roles, its current contacts."),
    ("complexity", "functional_areas", "Functional areas", "functions", "percentile", None, 5,
     "Distinct functions among the account's current contacts."),
    ("complexity", "operating_units", "Operating units", "operating_units", "percentile", None, 5,
     "Units of the subtree with revenue in the last 12 months or current contacts."),
    ("complexity", "geographic_spread", "Geographic spread", "geo_spread", "percentile", None, 5,
     "Distinct regions + distinct countries of the units with revenue, contacts or sites."),
    ("complexity", "choice_criteria", "Choice criteria", "buying_criteria", "percentile", None, 3,
     "Buying criteria recorded for the account."),
    ("relational", "willingness", "Partnership willingness", "willingness", "rubric", None, 14,
     "Assessed 0–10 by the KAM or a customer survey."),
    ("relational", "agreement_horizon", "Agreement horizon", "agreement_horizon",
     "capped_linear", 36, 8, "Months of the current agreement (36 months or more count fully)."),
    ("relational", "purchase_continuity", "Purchase continuity", "purchase_continuity",
     "capped_linear", 1, 0, "Months with purchases in the last 24, / 24 (weight 0 in v2: the "
     "expected revenue reads purchase frequency)."),
    ("relational", "joint_initiatives", "Joint initiatives", "joint_initiatives",
     "capped_linear", 3, 8, "Active joint initiatives (capped at 3)."),
]


def seed(apps, schema_editor):
    ScoringModel = apps.get_model("identification", "ScoringModel")
    Criterion = apps.get_model("identification", "Criterion")
    if ScoringModel.objects.filter(version=VERSION).exists():
        return
    v1 = ScoringModel.objects.filter(version=1, name=NAME, status="active").first()
    if v1 is not None:
        v1.status = "archived"
        v1.save(update_fields=["status"])
    model = ScoringModel.objects.create(
        name=NAME,
        version=VERSION,
        status="active" if v1 is not None else "draft",
        # v1's purchase continuity gave almost every buyer ~6 of its 100 points; without it the
        # same accounts score that much lower, so the key-candidate threshold moves with it
        min_score=55,
        description="Default model v2: learned expected revenue in purchasing potential; "
        "potential 45, complexity 25, relational 30.",
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
        ScoringModel.objects.filter(version=VERSION, name=NAME, runs__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if not ids:
        return
    Criterion.objects.filter(model_id__in=ids).delete()
    table = schema_editor.quote_name(ScoringModel._meta.db_table)
    for pk in ids:
        schema_editor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])
    ScoringModel.objects.filter(version=1, name=NAME, status="archived").update(status="active")


class Migration(migrations.Migration):
    dependencies = [("identification", "0015_data_aware_runs_and_expected_revenue")]

    operations = [migrations.RunPython(seed, unseed)]
