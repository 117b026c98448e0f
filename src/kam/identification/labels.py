"""Labels that migrations store as data (the default scoring model's name, its criteria's names
and descriptions) are English message ids, translated when shown (decision 56).

A label someone typed in is not in the catalogue and is shown as typed; the seeded ones are
listed here so that ``makemessages`` finds them and the Russian page shows Russian.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

SEEDED_LABELS = (
    gettext_noop("Default key-account model"),
    gettext_noop("Default model of DOMAIN.md §3: potential 40, complexity 30, relational 30."),
    gettext_noop("Current revenue"),
    gettext_noop(
        "Net revenue of the last 12 full months over the account's subtree (monthly roll-ups)."
    ),
    gettext_noop("Wallet (potential)"),
    gettext_noop(
        "Manual wallet estimate; else the peer estimate: 0.8 quantile of revenue per employee in "
        "the same industry (and size band) × employees, when at least 10 peers exist."
    ),
    gettext_noop("Growth"),
    gettext_noop(
        "Revenue of the last 12 months against the prior 12 months (gap without prior revenue)."
    ),
    gettext_noop("Profitability"),
    # xgettext:no-python-format
    gettext_noop("Gross margin % of the last 12 months, from the lines that carry a cost."),
    gettext_noop("DMU size"),
    gettext_noop(
        "Data source until the relationships app records buying-centre roles: the number of "
        "current contacts anywhere in the account's subtree."
    ),
    gettext_noop("Functional areas"),
    gettext_noop("Distinct functions among the account's current contacts."),
    gettext_noop("Operating units"),
    gettext_noop("Units of the subtree with revenue in the last 12 months or current contacts."),
    gettext_noop("Geographic spread"),
    gettext_noop(
        "Distinct regions + distinct countries of the units with revenue, contacts or sites."
    ),
    gettext_noop("Choice criteria"),
    gettext_noop("Buying criteria recorded for the account."),
    gettext_noop("Partnership willingness"),
    gettext_noop("Assessed 0–10 by the KAM or a customer survey."),
    gettext_noop("Agreement horizon"),
    gettext_noop("Months of the current agreement (36 months or more count fully)."),
    gettext_noop("Purchase continuity"),
    gettext_noop("Months with purchases in the last 24, / 24."),
    gettext_noop("Joint initiatives"),
    gettext_noop("Active joint initiatives (capped at 3)."),
    # default model v2 (decision 86)
    gettext_noop(
        "Default model v2: learned expected revenue in purchasing potential; potential 45, "
        "complexity 25, relational 30."
    ),
    gettext_noop("Expected revenue, next 12 months"),
    gettext_noop(
        "Predicted from the account's monthly sales history (recency, frequency, trend, "
        "seasonality, product lines, units buying, tenure) by gradient boosting trained on "
        "earlier cut-offs of the same history."
    ),
    gettext_noop(
        "Net revenue of the last 12 full months over the account's subtree (weight 0 in v2: the"
        " expected revenue starts from it and adds its trend)."
    ),
    gettext_noop(
        "Manual wallet estimate; else the peer estimate (0.8 quantile of revenue per employee "
        "in the same industry and size band × employees); never below the account's own "
        "trajectory."
    ),
    gettext_noop(
        "Revenue of the last 12 months against the prior 12 months (weight 0 in v2: a "
        "percentile of growth in per cent lifts small accounts over large ones at the top of "
        "the ranking; the expected revenue carries the trend in money)."
    ),
    gettext_noop(
        "Contacts with a buying-centre role at the account; without roles, its current contacts."
    ),
    gettext_noop(
        "Months with purchases in the last 24, / 24 (weight 0 in v2: the expected revenue reads"
        " purchase frequency)."
    ),
)


def shown(text: str | None) -> str:
    """A stored label in the user's language when the catalogue has it, else as stored."""
    return gettext(text) if text else ""
