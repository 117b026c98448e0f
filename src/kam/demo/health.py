"""Demo relationship health: neglect that precedes a revenue fall for some accounts, not others.

So that the health backtest means something on the demo, the stage picks, among accounts that
bought in the half-year before the backtest day (the end of the month seven months back):

* "drifting" accounts (about a fifth): most of their contact of the five months before that day
  happened earlier instead (moved back in time), so contact stops; three in four of them then buy
  about half as much over the next six months (those sales are removed);
* "market" declines (about one in twelve of the rest): revenue falls with no neglect at all.

Then it fills twelve months of health history and the current figures, records two readings by
KAMs (one that disagrees with the score), and runs the backtest, whose result the health page
shows. Everything is seeded: the same seed gives the same accounts.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from kam.core.periods import add_months
from kam.customers.models import Tier, Unit, account_q
from kam.health.backtest import run as backtest_run
from kam.health.models import AccountHealth, BacktestResult, Grade
from kam.health.services import backtest_store, health_history_build, sentiment_record
from kam.identification.facts import facts_refresh
from kam.interactions.models import Interaction
from kam.relationships.signals import interactions_mark_stale
from kam.sales.models import MonthlyRollup, Transaction
from kam.sales.services import transactions_delete

HORIZON = 6
NEGLECT_DAYS = 150
DRIFT_SHARE = 0.2
DRIFT_FALLS = 0.75
MARKET_FALLS = 0.08
KEPT_CONTACT = 0.15  # share of a drifting account's interactions that still happen
LOST_SALES = 0.55  # share of a falling account's transactions after the day that go


def backtest_day(today: dt.date) -> dt.date:
    month = add_months(today.replace(day=1), -7)
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _unit_ids(account: Unit) -> list[int]:
    """The account's units as a list of ids: PostgreSQL plans a join on the path range badly
    right after the build wrote the rows (no statistics yet), seconds per account."""
    return list(Unit.objects.filter(account_q(account)).values_list("pk", flat=True))


def make_health(builder: Any) -> dict[str, int]:
    """The demo stage (called from ``_Builder.run``); returns counts for the summary."""
    builder.rep.stage(_("Relationship health and its backtest"), None)
    rng = builder.rng("health")
    today: dt.date = builder.today
    as_of = backtest_day(today)
    after = add_months(as_of.replace(day=1), 1)
    before = add_months(after, -HORIZON)
    BacktestResult.objects.all().delete()
    buying = sorted(
        MonthlyRollup.objects.filter(month__gte=before, month__lt=after)
        .values("account_id")
        .annotate(net=Sum("net_amount"))
        .filter(net__gt=0)
        .values_list("account_id", flat=True)
    )
    accounts = {u.pk: u for u in Unit.objects.filter(pk__in=buying)}
    drifting, falling = [], []
    for pk in buying:
        if rng.random() < DRIFT_SHARE:
            drifting.append(pk)
            if rng.random() < DRIFT_FALLS:
                falling.append(pk)
        elif rng.random() < MARKET_FALLS:
            falling.append(pk)
    neglect_from = dt.datetime.combine(
        as_of - dt.timedelta(days=NEGLECT_DAYS), dt.time.min, tzinfo=dt.UTC
    )
    neglect_to = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    moved_ids: list[int] = []
    moved = 0
    for pk in drifting:
        met = list(
            Interaction.objects.filter(
                unit__in=_unit_ids(accounts[pk]),
                occurred_at__gte=neglect_from,
                occurred_at__lt=neglect_to,
            )
            .order_by("pk")  # each row draws a random number: the order makes the demo
            .values_list("pk", "occurred_at")
        )
        # the contact of the neglected months happened earlier: then it stopped
        for iid, when in met:
            if rng.random() >= KEPT_CONTACT:
                back = dt.timedelta(days=NEGLECT_DAYS + rng.randint(30, 200))
                Interaction.objects.filter(pk=iid).update(occurred_at=when - back)
                moved_ids.append(iid)
                moved += 1
    interactions_mark_stale(moved_ids)  # relationship strengths follow the dates
    lost = 0
    for pk in falling:
        ids = list(
            Transaction.objects.filter(unit__in=_unit_ids(accounts[pk]), date__gte=after)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        gone = [i for i in ids if rng.random() < LOST_SALES]
        if gone:
            lost += transactions_delete(ids=gone)
    builder.counts["transactions"] -= lost  # what the demo holds
    facts_refresh()  # the roll-ups of the falling accounts changed
    rows = health_history_build(months=12, as_of=today)
    readings = _readings(rng, today)
    result = backtest_run(as_of=as_of, horizon_months=HORIZON)
    if result["accounts"]:
        backtest_store(as_of=as_of, horizon_months=HORIZON, result=result)
    return {
        "health_drifting_accounts": len(drifting),
        "health_falling_accounts": len(falling),
        "health_interactions_moved_earlier": moved,
        "health_transactions_dropped": lost,
        "health_rows": rows,
        "health_sentiments": readings,
    }


def _readings(rng: Any, today: dt.date) -> int:
    """Two KAM readings on key accounts: one agrees with the score, one is far from it."""
    keyed = list(
        AccountHealth.objects.exclude(account__tier=Tier.TRANSACTIONAL)
        .filter(account__account_manager__isnull=False)
        .select_related("account", "account__account_manager")
        .order_by("score", "account_id")
    )
    if not keyed:
        return 0
    worst, best = keyed[0], keyed[-1]
    sentiment_record(
        account=worst.account,
        grade=Grade.GOOD,
        on=today - dt.timedelta(days=rng.randint(3, 20)),
        note="Lunch with the purchasing director went well; I see no risk.",
        user=worst.account.account_manager,
    )
    count = 1
    if best.pk != worst.pk:
        sentiment_record(
            account=best.account,
            grade=best.grade,
            on=today - dt.timedelta(days=rng.randint(3, 20)),
            note="Steady: quarterly reviews and a new project with engineering.",
            user=best.account.account_manager,
        )
        count += 1
    return count
