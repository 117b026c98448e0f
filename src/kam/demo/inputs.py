"""Demo content of the inputs issue 10 made enterable: territories with their managers and
opportunities that name a product and the date they were engaged.

Runs after the opportunities stage of :class:`kam.demo.build._Builder` with its own seeded random
stream, so the other stages draw the same numbers as before.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Protocol

from kam.people.models import Territory, User
from kam.sales.models import Opportunity, Product


class _Builder(Protocol):
    """What this stage reads of the demo builder (``build._Builder``)."""

    today: dt.date
    counts: dict[str, int]

    def rng(self, stage: str) -> random.Random: ...


BATCH = 2000


def enrich_inputs(builder: _Builder) -> None:
    rng = builder.rng("inputs")
    today = builder.today
    prefix = "demo:"

    # territories: the sales manager or executive of that country leads it, else the first one
    leaders = list(
        User.objects.filter(role__in=["sales_manager", "executive"], is_active=True)
        .select_related("territory")
        .order_by("pk")
    )
    by_country: dict[str, list[User]] = defaultdict(list)
    for user in leaders:
        if user.territory is not None:
            by_country[user.territory.country].append(user)
    territories = list(Territory.objects.filter(external_id__startswith=prefix).order_by("pk"))
    for territory in territories:
        pool = by_country.get(territory.country) or leaders
        territory.manager = rng.choice(pool) if pool else None
    Territory.objects.bulk_update(territories, ["manager"], batch_size=BATCH)

    # opportunities: most name one product of their line; each has the date it was engaged
    products: dict[int, list[int]] = defaultdict(list)
    for pk, line_id in Product.objects.order_by("pk").values_list("pk", "line_id"):
        products[line_id].append(pk)
    opportunities = list(
        Opportunity.objects.filter(product__isnull=True, engaged_on__isnull=True).order_by("pk")
    )
    for opp in opportunities:
        choices = products.get(opp.product_line_id or 0)
        if choices and rng.random() < 0.7:
            opp.product_id = rng.choice(choices)
        close = opp.expected_close or today
        engaged = close - dt.timedelta(days=rng.randint(30, 300))
        opp.engaged_on = min(engaged, today)
    Opportunity.objects.bulk_update(opportunities, ["product_id", "engaged_on"], batch_size=BATCH)
    builder.counts["opportunities_with_product"] = sum(
        1 for o in opportunities if o.product_id is not None
    )
    builder.counts["territories_with_manager"] = sum(
        1 for t in territories if t.manager_id is not None
    )
