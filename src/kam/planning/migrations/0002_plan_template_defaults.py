"""The default plan templates per portfolio quadrant (DOMAIN §4), editable afterwards in admin.

Data only (the tables come from 0001). Titles are stored in English, as every stored
configuration's default is; a plan copies them and its owner rewrites them.
"""

from decimal import Decimal

from django.db import migrations

# quadrant: (policy, mission, target stage, cadence, [(title, metric, rule, amount, level, months)])
DEFAULTS = {
    "strategic": (
        "Invest: build a partnership or synergistic relationship.",
        "Become the customer's partner of choice: grow with them across units and product lines.",
        "partnership",
        3,
        [
            ("Grow revenue by 15 %", "sales.revenue_12m", "grow_percent", "15", "", 12),
            ("Reach half of the customer's wallet", "sales.share_of_wallet", "at_least", "50", "", 12),
            ("Become the primary supplier", "sales.supplier_position", "level", None, "primary", 12),
            ("Win more opportunities", "sales.opportunities_won_12m", "add", "3", "", 12),
        ],
    ),
    "star": (
        "Invest selectively to build our position.",
        "Build our position at an attractive customer where a competitor leads today.",
        "partnership",
        3,
        [
            ("Gain 10 points of share of wallet", "sales.share_of_wallet", "add", "10", "", 12),
            ("Become a preferred supplier", "sales.supplier_position", "level", None, "preferred", 12),
            ("Grow revenue by 20 %", "sales.revenue_12m", "grow_percent", "20", "", 12),
        ],
    ),
    "status": (
        "Maintain efficiently.",
        "Keep our strong position at a reasonable cost to serve.",
        "mid",
        6,
        [
            ("Keep revenue", "sales.revenue_12m", "keep", None, "", 12),
            ("Keep the margin", "sales.margin_12m", "keep", None, "", 12),
        ],
    ),
    "streamline": (
        "Reduce the cost to serve.",
        "Serve the customer profitably with less effort.",
        "early",
        6,
        [
            ("Improve the margin by 2 points", "sales.margin_12m", "add", "2", "", 12),
            ("Keep revenue", "sales.revenue_12m", "keep", None, "", 12),
        ],
    ),
}


def add_defaults(apps, schema_editor):
    PlanTemplate = apps.get_model("planning", "PlanTemplate")
    PlanTemplateObjective = apps.get_model("planning", "PlanTemplateObjective")
    for quadrant, (policy, mission, stage, cadence, objectives) in DEFAULTS.items():
        template, created = PlanTemplate.objects.get_or_create(
            quadrant=quadrant,
            defaults={
                "policy": policy,
                "mission": mission,
                "target_stage": stage,
                "review_cadence_months": cadence,
            },
        )
        if not created:
            continue
        for position, (title, metric, rule, amount, level, months) in enumerate(objectives):
            PlanTemplateObjective.objects.create(
                template=template,
                title=title,
                metric_key=metric,
                rule=rule,
                amount=Decimal(amount) if amount is not None else None,
                level=level,
                months=months,
                position=position,
            )


def remove_defaults(apps, schema_editor):
    apps.get_model("planning", "PlanTemplate").objects.filter(quadrant__in=DEFAULTS).delete()


class Migration(migrations.Migration):
    dependencies = [("planning", "0001_plans")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
