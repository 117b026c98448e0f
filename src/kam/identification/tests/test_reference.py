"""The engine and the pandas reference (bench/reference_pandas_scoring.py) give the same scores.

The reference is a straightforward pandas implementation of the default model that works from the
raw tables (transactions, units, employments, assessments and their history, buying criteria);
``bench/score_portfolio.py`` times both. Here both score the small demo portfolio (≈ 2,000 units,
200,000 transactions, 345 accounts) plus judgement inputs, as of today (assessments as they are)
and as of two past dates (assessments from their history, buying criteria listed since then
left out, other data windows), and every account must get the same total, sub-scores and
recommendation.

One test builds the portfolio inside its own transaction (rolled back afterwards, so nothing
leaks into other tests) and checks all three dates; the reference reads through the test's own
database connection, so it sees the uncommitted data.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from kam.core.periods import add_months, month_start
from kam.customers.models import Unit
from kam.demo.build import demo_build
from kam.identification.models import AccountAssessment, AccountScore, ScoringModel
from kam.identification.services import (
    assessment_update,
    buying_criteria_set,
    scoring_run_execute,
)

pytestmark = pytest.mark.django_db

BENCH = Path(__file__).resolve().parents[4] / "bench"
COLUMNS = ["account_id", "total", "potential", "complexity", "relational", "recommendation"]
SEED = 7


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCH))  # as when run as a script: it imports bench/_common.py
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def _later_changes(accounts: list[Unit]) -> dict[str, int]:
    """Edits made today, after the seeded judgement: seen as of today, not as of the past."""
    changed = deleted = relisted = 0
    for i, account in enumerate(accounts[:60]):
        assessment = AccountAssessment.objects.filter(account=account).first()
        if i % 3 == 0 and assessment is not None:
            assessment.delete()  # a deletion row in the history
            deleted += 1
        elif i % 3 == 1:
            assessment_update(
                account=account,
                willingness=(i * 7) % 11,
                joint_initiatives=i % 5,
                wallet_estimate=(i + 1) * 25_000 if i % 2 else None,
            )
            changed += 1
        else:
            buying_criteria_set(account=account, names=["Price", "Quality", f"Local need {i}"])
            relisted += 1
    return {"changed": changed, "deleted": deleted, "relisted": relisted}


def test_engine_and_pandas_reference_agree_on_the_small_demo():
    import pandas as pd  # a dev dependency: missing, the test fails (it never skips)

    reference = _load("reference_pandas_scoring")
    bench = _load("score_portfolio")

    today = timezone.localdate()
    demo_build(scale="small", seed=SEED, today=today)
    seeded = bench.seed_judgement(SEED, recorded_at=timezone.now() - dt.timedelta(days=400))
    # the demo assesses the larger half of the customers (no history); the seed adds some of the
    # others with their history, so that scoring as of a past date has judgement to read
    assert seeded["assessments"] > 30
    assert seeded["buying_criteria"] > 30
    assert AccountAssessment.objects.count() > 200
    accounts = list(Unit.objects.filter(depth=1).order_by("-employees", "path"))
    assert len(accounts) == 345
    _later_changes(accounts)

    # v1: the model the reference was written for; v2's learned criterion is given to the
    # reference, not recomputed (see the expected= below), and on this small demo v2 leaves no
    # key candidate at one of the past cut-offs, which would make the last check meaningless
    model = ScoringModel.objects.get(version=1)
    connection.ensure_connection()
    last_day_of_a_month = add_months(month_start(today), -4) - dt.timedelta(days=1)
    for as_of in (today, last_day_of_a_month, today - dt.timedelta(days=200)):
        run = scoring_run_execute(model=model, as_of=as_of)
        ours = pd.DataFrame(
            list(AccountScore.objects.filter(run=run).values_list(*COLUMNS)), columns=COLUMNS
        )
        theirs = reference.score_with_pandas(
            connection.connection,
            as_of,
            model_id=model.pk,
            today=today,
            time_zone=settings.TIME_ZONE,
            # the learned expected revenue is given, not re-learned (decision 86)
            expected={
                account_id: expected.get("value")
                for account_id, expected in AccountScore.objects.filter(run=run).values_list(
                    "account_id", "expected"
                )
                if expected.get("value") is not None
            },
        )
        assert len(theirs) == len(ours) == len(accounts)
        both = ours.merge(theirs, on="account_id", how="outer", suffixes=("", "_pandas"))
        assert not both.isna().any().any(), f"as of {as_of}: accounts missing on one side"
        for column in ("total", "potential", "complexity", "relational"):
            gap = (both[column] - both[f"{column}_pandas"]).abs()
            worst = both.loc[gap.idxmax(), ["account_id", column, f"{column}_pandas"]]
            assert gap.max() <= 1e-6, f"as of {as_of}: {column} differs, e.g. {worst.to_dict()}"
        differ = both[both["recommendation"] != both["recommendation_pandas"]]
        assert differ.empty, f"as of {as_of}: recommendations differ for {differ.head()}"
        # the comparison means something: the scores spread and some accounts qualify
        assert both["total"].nunique() > 300
        assert 0 < (both["recommendation"] == "key_candidate").sum() < len(accounts)
