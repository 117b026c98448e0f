"""Demo white space: pre-filled from the demo's transactions, then edited as a KAM would.

For each key account (national and global included): the pre-fill from roll-ups, competitor
shares and open opportunities, then a few hand edits by the account manager — potentials on
competitor and not-bought cells, a blocked cell with its reason, a competitor named on a cell
the data did not know about.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Sum

from kam.customers.models import Tier, Unit
from kam.planning.models import WhiteSpaceCell, WhiteSpaceStatus
from kam.planning.whitespace import whitespace_cell_update, whitespace_prefill
from kam.sales.models import Competitor, MonthlyRollup, ProductLine

# Key accounts given a white space (the largest first): enough to show, bounded at any scale.
MAX_ACCOUNTS = 120
UNITS_EDITED = 6

BLOCKED_NOTES = (
    "Framework contract with a competitor until 2028",
    "Central purchasing forbids a second supplier",
    "Product not certified in this country",
    "Customer makes this in-house",
)
COMPETITOR_NOTES = (
    "Contract renewal next spring",
    "Unhappy with delivery times",
    "Price-driven; service could win it",
    "",
)


def make_white_space(rng: random.Random, today: dt.date) -> int:
    """Fill and edit the white space of the key accounts; the number of cells written."""
    key_tiers = [Tier.KEY, Tier.NATIONAL, Tier.GLOBAL]
    accounts = list(
        Unit.objects.accounts()
        .filter(tier__in=key_tiers)
        .select_related("account_manager")
        .order_by("path")[:MAX_ACCOUNTS]
    )
    lines = list(ProductLine.objects.order_by("code"))
    competitors = list(Competitor.objects.order_by("name"))
    if not accounts or not lines:
        return 0
    for account in accounts:
        whitespace_prefill(account=account, today=today)
        # the units that buy most: where a KAM looks first
        top_units = [
            row["unit_id"]
            for row in MonthlyRollup.objects.filter(account_id=account.pk)
            .values("unit_id")
            .annotate(total=Sum("net_amount"))
            .order_by("-total", "unit_id")[:UNITS_EDITED]
        ] or [account.pk]
        units = {u.pk: u for u in Unit.objects.filter(pk__in=top_units)}
        cells = {
            (c.unit_id, c.product_line_id): c
            for c in WhiteSpaceCell.objects.filter(account=account, unit_id__in=top_units)
        }
        for uid in top_units:
            unit = units[uid]
            for line in lines:
                cell = cells.get((uid, line.pk))
                status = cell.status if cell else WhiteSpaceStatus.NOT_BOUGHT
                roll = rng.random()
                scale = Decimal(rng.choice((5, 10, 20, 40, 80))) * 1000
                if status == WhiteSpaceStatus.COMPETITOR and roll < 0.7:
                    whitespace_cell_update(
                        account=account,
                        unit=unit,
                        product_line=line,
                        user=account.account_manager,
                        potential=scale,
                        note=rng.choice(COMPETITOR_NOTES),
                    )
                elif status == WhiteSpaceStatus.NOT_BOUGHT and roll < 0.12:
                    whitespace_cell_update(
                        account=account,
                        unit=unit,
                        product_line=line,
                        user=account.account_manager,
                        status=WhiteSpaceStatus.BLOCKED,
                        note=rng.choice(BLOCKED_NOTES),
                    )
                elif status == WhiteSpaceStatus.NOT_BOUGHT and roll < 0.3 and competitors:
                    whitespace_cell_update(
                        account=account,
                        unit=unit,
                        product_line=line,
                        user=account.account_manager,
                        status=WhiteSpaceStatus.COMPETITOR,
                        competitor=rng.choice(competitors),
                        potential=scale,
                        note=rng.choice(COMPETITOR_NOTES),
                    )
                elif status == WhiteSpaceStatus.NOT_BOUGHT and roll < 0.55:
                    whitespace_cell_update(
                        account=account,
                        unit=unit,
                        product_line=line,
                        user=account.account_manager,
                        potential=scale / 2,
                        note="Ask at the next visit",
                    )
                elif status == WhiteSpaceStatus.OURS and roll < 0.4:
                    whitespace_cell_update(
                        account=account,
                        unit=unit,
                        product_line=line,
                        user=account.account_manager,
                        potential=scale * 2,
                    )
    return WhiteSpaceCell.objects.filter(account__in=accounts).count()
