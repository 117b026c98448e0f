"""Data-aware scoring (decision 84): criteria with no data or one value for almost everyone are
left out of the run and their weight moves to the rest of their group."""

from kam.identification.engine import (
    CONSTANT,
    NO_DATA,
    AccountInputs,
    CriterionSpec,
    ModelSpec,
    score_table,
)

SPEC = ModelSpec(
    id=None,
    version=1,
    criteria=(
        CriterionSpec("revenue", "Revenue", "potential", "revenue_12m", "percentile", 10.0),
        CriterionSpec("wallet", "Wallet", "potential", "wallet", "percentile", 20.0),
        CriterionSpec("growth", "Growth", "potential", "growth", "percentile", 10.0),
        CriterionSpec("will", "Willingness", "relational", "willingness", "rubric", 20.0),
    ),
)


def test_a_criterion_without_data_moves_its_weight_to_its_group_hand_computed():
    # Three accounts; nobody has a wallet (no industry, no manual estimate).
    inputs = [
        AccountInputs(
            id=1, path="1", name="A", revenue_12m_cents=30000, revenue_prior_12m_cents=10000,
            willingness=5,
        ),
        AccountInputs(
            id=2, path="2", name="B", revenue_12m_cents=20000, revenue_prior_12m_cents=20000,
        ),
        AccountInputs(
            id=3, path="3", name="C", revenue_12m_cents=10000, revenue_prior_12m_cents=20000,
            willingness=10,
        ),
    ]  # fmt: skip
    table = score_table(inputs, SPEC)
    assert table.left_out == {"wallet": NO_DATA}
    # potential keeps its 40: revenue 10 → 20, growth 10 → 20; willingness keeps 20
    assert table.weights == {"revenue": 20.0, "growth": 20.0, "will": 20.0}
    by_name = {r.name: r for r in table.results()}
    # A: revenue pct 3/3 = 1, growth +200 % → pct 3/3 = 1, willingness 0.5
    #    total = 100 × (20·1 + 20·1 + 20·0.5) / 60 = 83.33; potential = 100 × 40/40 = 100
    assert by_name["A"].total == 83.33
    assert by_name["A"].groups["potential"] == 100.0
    # B: revenue 2/3, growth 0 % → 0 (not positive); willingness none
    #    total = 100 × (20·2/3) / 60 = 22.22; potential = 100 × (20·2/3) / 40 = 33.33
    assert by_name["B"].total == 22.22
    assert by_name["B"].groups["potential"] == 33.33
    # C: revenue 1/3, growth −50 % → 0, willingness 1 → 100 × (20/3 + 20) / 60 = 44.44
    assert by_name["C"].total == 44.44
    # the contributions use the effective weights and add up to the score
    parts = by_name["A"].breakdown
    assert "wallet" not in parts
    assert round(sum(p["contribution"] for p in parts.values()), 2) == 83.33
    assert parts["revenue"]["weight"] == 20.0
    # completeness stays per account, against the model's own weights (60 − wallet 20 of 60)
    assert by_name["A"].completeness == round(100 * 40 / 60, 2)


def test_a_whole_group_without_data_gives_its_share_to_the_others():
    inputs = [
        AccountInputs(id=k, path=str(k), name=f"N{k}", revenue_12m_cents=100 * k)
        for k in range(1, 4)
    ]
    table = score_table(inputs, SPEC)
    assert table.left_out == {"wallet": NO_DATA, "growth": NO_DATA, "will": NO_DATA}
    top = table.results()[0]
    assert top.total == 100.0  # revenue alone carries the score


def test_a_constant_criterion_adds_nothing():
    spec = ModelSpec(
        id=None,
        version=1,
        criteria=(
            CriterionSpec("revenue", "Revenue", "potential", "revenue_12m", "percentile", 10.0),
            CriterionSpec("units", "Units", "complexity", "operating_units", "percentile", 10.0),
        ),
    )
    # 40 accounts, each with revenue and exactly one operating unit: the same value for all
    inputs = [
        AccountInputs(id=k, path=f"{k:03}", name=f"N{k:03}", revenue_12m_cents=1000 * k,
                      operating_units=1)
        for k in range(1, 41)
    ]  # fmt: skip
    table = score_table(inputs, spec)
    assert table.left_out == {"units": CONSTANT}
    results = table.results()
    assert results[0].total == 100.0 and results[-1].total == 2.5  # revenue percentile alone
    assert "units" not in results[0].breakdown


def test_one_value_for_everyone_with_data_is_constant_too():
    """Accounts without revenue have 0 units: the criterion would add the same points to every
    account that buys (the flaw the backtest on real data showed)."""
    spec = ModelSpec(
        id=None,
        version=1,
        criteria=(
            CriterionSpec("revenue", "Revenue", "potential", "revenue_12m", "percentile", 10.0),
            CriterionSpec("units", "Units", "complexity", "operating_units", "percentile", 10.0),
        ),
    )
    inputs = [
        AccountInputs(id=k, path=f"{k:03}", name=f"N{k:03}",
                      revenue_12m_cents=1000 * k if k <= 30 else 0,
                      operating_units=1 if k <= 30 else 0)
        for k in range(1, 41)
    ]  # fmt: skip
    assert score_table(inputs, spec).left_out == {"units": CONSTANT}


def test_small_populations_keep_their_criteria():
    inputs = [
        AccountInputs(id=k, path=str(k), name=f"N{k}", revenue_12m_cents=100 * k,
                      operating_units=1, willingness=5)
        for k in range(1, 4)
    ]  # fmt: skip
    spec = ModelSpec(
        id=None,
        version=1,
        criteria=(
            CriterionSpec("revenue", "Revenue", "potential", "revenue_12m", "percentile", 10.0),
            CriterionSpec("units", "Units", "complexity", "operating_units", "percentile", 10.0),
        ),
    )
    assert score_table(inputs, spec).left_out == {}
