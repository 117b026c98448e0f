import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from kam.identification.engine import percentile_ranks
from kam.identification.explain import explain_recommendation
from kam.identification.models import AccountScore, ModelStatus, ScoringModel
from kam.identification.selectors import scoring_model_active, what_if
from kam.identification.services import (
    assessment_update,
    buying_criteria_set,
    criterion_update,
    model_activate,
    model_draft_from,
    scoring_run_execute,
)
from kam.testing.factories import make_unit

from .conftest import add_contact, make_model

pytestmark = pytest.mark.django_db

SMALL = [
    ("revenue", "potential", "revenue_12m", "percentile", 10),
    ("willingness", "relational", "willingness", "rubric", 5),
    ("joint", "relational", "joint_initiatives", "capped_linear", 3, 3),
    ("geo", "complexity", "geo_spread", "capped_linear", 2, 4),
]


@pytest.fixture
def portfolio(sell, month):
    """Four accounts, scores worked out by hand in the tests below."""
    a = make_unit("Alpha")
    make_unit("Alpha Tirol", parent=a, kind="site", country="AT", region="Tirol")
    b, c, d = make_unit("Bravo"), make_unit("Charlie"), make_unit("Delta")
    sell(a, 200, month(1))
    sell(a, 100, month(12))
    sell(a, 999, month(13))  # outside the last 12 months
    sell(b, 100, month(3))
    sell(c, 100, month(5))
    assessment_update(account=a, willingness=8, joint_initiatives=3)
    assessment_update(account=b, willingness=4, joint_initiatives=1)
    assessment_update(account=d, willingness=10, joint_initiatives=6)
    return {"A": a, "B": b, "C": c, "D": d}


def scores_by_name(run):
    return {
        s.account.name: s for s in AccountScore.objects.filter(run=run).select_related("account")
    }


def test_hand_computed_scores_of_a_four_account_portfolio(portfolio):
    model = make_model(SMALL)
    run = scoring_run_execute(model=model)
    s = scores_by_name(run)
    # revenue percentile among [300, 100, 100, 0]: 4/4, 2.5/4, 2.5/4, 0
    # Alpha: 10·1 + 5·0.8 + 3·1 + 2·(3/4) = 18.5 of 20
    assert s["Alpha"].total == 92.5
    assert s["Bravo"].total == 48.75  # 6.25 + 2 + 1 + 0.5
    assert s["Charlie"].total == 33.75  # 6.25 + 0 + 0 + 0.5
    assert s["Delta"].total == 40.0  # 0 + 5 + 3 + 0
    assert [s[n].rank for n in ("Alpha", "Bravo", "Delta", "Charlie")] == [1, 2, 3, 4]
    assert (s["Alpha"].potential, s["Alpha"].relational, s["Alpha"].complexity) == (
        100.0,
        87.5,
        75.0,
    )
    assert (s["Bravo"].potential, s["Bravo"].relational, s["Bravo"].complexity) == (
        62.5,
        37.5,
        25.0,
    )
    assert s["Delta"].relational == 100.0
    assert s["Delta"].potential == 0.0
    assert s["Alpha"].strategic is None
    assert s["Alpha"].revenue_12m == 300
    breakdown = s["Alpha"].breakdown
    assert breakdown["revenue"] == {
        "name": "Revenue",
        "group": "potential",
        "raw": 300.0,
        "normalised": 1.0,
        "weight": 10.0,
        "contribution": 50.0,
        "gap": False,
    }
    assert breakdown["geo"]["raw"] == 3.0  # DE + AT + one region
    assert breakdown["geo"]["contribution"] == 7.5
    assert [s[n].recommendation for n in ("Alpha", "Bravo", "Charlie", "Delta")] == [
        "key_candidate",
        "transactional",
        "transactional",
        "transactional",
    ]
    assert run.accounts_count == 4
    assert run.candidates_count == 1
    assert run.status == "done"
    assert run.progress == 100


def test_missing_data_counts_zero_and_is_listed_as_a_gap(portfolio):
    run = scoring_run_execute(model=make_model(SMALL))
    s = scores_by_name(run)
    assert s["Charlie"].gaps == ["willingness", "joint"]
    assert s["Charlie"].breakdown["willingness"] == {
        "name": "Willingness",
        "group": "relational",
        "raw": None,
        "normalised": 0.0,
        "weight": 5.0,
        "contribution": 0.0,
        "gap": True,
    }
    assert s["Charlie"].completeness == 60.0  # 12 of 20 weight backed by data
    assert s["Delta"].gaps == ["geo"]  # no unit with revenue, contacts or sites
    assert s["Delta"].completeness == 90.0
    assert s["Alpha"].gaps == []
    assert s["Alpha"].completeness == 100.0
    sentences = explain_recommendation(s["Charlie"], run.model)
    assert "Partnership willingness has not been assessed yet." in sentences
    assert sentences[-1] == "Data gaps counted as zero: Willingness, Joint."


def test_weights_renormalise(portfolio):
    doubled = make_model([(*c[:4], c[4] * 2, *c[5:]) for c in SMALL], version=101)
    run = scoring_run_execute(model=doubled)
    assert scores_by_name(run)["Alpha"].total == 92.5
    revenue_only = make_model([SMALL[0], (*SMALL[1][:4], 0)], version=102)
    s = scores_by_name(scoring_run_execute(model=revenue_only))
    assert (s["Alpha"].total, s["Bravo"].total, s["Delta"].total) == (100.0, 62.5, 0.0)
    assert "willingness" not in s["Alpha"].breakdown  # weight 0 takes no part


def test_percentile_ties_share_their_average_rank():
    assert percentile_ranks([0, 10, 10, 20, None]) == [0.0, 0.7, 0.7, 1.0, 0.0]
    assert percentile_ranks([5, 5, 5, 5]) == [0.625, 0.625, 0.625, 0.625]
    assert percentile_ranks([-1, 3]) == [0.0, 1.0]
    assert percentile_ranks([]) == []


def test_recommendation_is_explained_in_words(portfolio):
    run = scoring_run_execute(model=make_model(SMALL))
    s = scores_by_name(run)
    alpha = explain_recommendation(s["Alpha"], run.model)
    assert alpha[0] == "The score of 92.5 reaches the threshold of 60.0."
    assert "The account is therefore recommended as a key-account candidate." in alpha
    assert any(t.startswith("Its scope is local: countries with units: 2;") for t in alpha)
    bravo = explain_recommendation(s["Bravo"], run.model)
    assert "Partnership willingness of 4.0 is below the minimum of 5.0." in bravo
    assert "The account therefore stays a transactional account." in bravo


@pytest.mark.parametrize(
    ("sites", "scope", "countries", "regions"),
    [
        ([("DE", ""), ("AT", "")], "local", 2, 0),
        ([("DE", ""), ("AT", ""), ("FR", "")], "global", 3, 0),
        ([("DE", "Bayern"), ("DE", "Hessen")], "local", 1, 2),
        ([("DE", "Bayern"), ("DE", "Hessen"), ("DE", "Sachsen")], "national", 1, 3),
        ([("DE", "Bayern"), ("FR", "Alsace"), ("FR", "Bretagne"), ("AT", "")], "global", 3, 2),
    ],
)
def test_scope_boundaries(sites, scope, countries, regions):
    account = make_unit("Spread")
    for i, (country, region) in enumerate(sites):
        make_unit(f"Site {i}", parent=account, kind="site", country=country, region=region)
    run = scoring_run_execute(model=scoring_model_active())
    score = AccountScore.objects.get(run=run, account=account)
    assert (score.scope, score.countries, score.regions) == (scope, countries, regions)
    sentence = [t for t in explain_recommendation(score, run.model) if "scope" in t][0]
    assert sentence.startswith(f"Its scope is {scope}")


def test_revenue_margin_growth_and_continuity_read_the_rollups(sell, month):
    account = make_unit("Acme")
    company = make_unit("Acme GmbH", parent=account, region="Bayern")
    add_contact(company, "purchasing")
    add_contact(company, "engineering")
    add_contact(company, "other")
    add_contact(account, "purchasing", end_date=month(30))  # left long ago
    sell(company, 600, month(1), cost=450)
    sell(company, 400, month(2))  # no cost: not part of the margin
    sell(account, 500, month(14))
    sell(account, 100, month(24))
    sell(account, 100, month(25))  # older than 24 months
    buying_criteria_set(account=account, names=["Price", "Quality", "price", ""])
    run = scoring_run_execute(model=scoring_model_active())
    b = AccountScore.objects.get(run=run, account=account).breakdown
    assert b["revenue"]["raw"] == 1000.0
    assert b["growth"]["raw"] == 0.6667  # 1000 / 600 − 1
    assert b["profitability"]["raw"] == 0.25  # (600 − 450) / 600
    assert b["purchase_continuity"]["raw"] == 0.1667  # 4 months of 24
    assert b["dmu_size"]["raw"] == 3.0
    assert b["functional_areas"]["raw"] == 2.0
    assert b["operating_units"]["raw"] == 1.0  # the group itself sold 14 months ago only
    assert b["geographic_spread"]["raw"] == 2.0  # DE + (DE, Bayern)
    assert b["choice_criteria"]["raw"] == 2.0


def test_default_model_is_seeded_and_active():
    model = scoring_model_active()
    criteria = list(model.criteria.all())
    assert model.version == 1
    assert model.status == "active"
    assert len(criteria) == 13
    groups: dict[str, float] = {}
    for c in criteria:
        groups[c.group] = groups.get(c.group, 0) + c.weight
    assert groups == {"potential": 40, "complexity": 30, "relational": 30}
    assert "buying-centre role" in model.criteria.get(key="dmu_size").description
    assert (model.min_score, model.min_potential, model.min_willingness) == (60, 50, 5)
    assert (model.kam_capacity, model.max_key_accounts) == (5, 50)


def test_only_one_model_is_active_and_activation_archives_the_old_one(portfolio):
    old = scoring_model_active()
    run = scoring_run_execute(model=old)
    draft = model_draft_from(model=old)
    assert draft.status == "draft"
    assert draft.version == 2
    assert draft.criteria.count() == 13
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringModel.objects.create(name="x", version=99, status=ModelStatus.ACTIVE)
    model_activate(model=draft)
    old.refresh_from_db()
    assert old.status == "archived"
    assert scoring_model_active() == draft
    # old scores keep their model version
    assert AccountScore.objects.filter(run=run).first().run.model.version == 1


def test_only_drafts_can_be_edited():
    from kam.core.errors import DomainError

    active = scoring_model_active()
    with pytest.raises(DomainError):
        criterion_update(criterion=active.criteria.first(), weight=1)


def test_a_refused_criterion_leaves_the_whole_model_edit_unsaved():
    from kam.core.errors import DomainError
    from kam.identification.services import model_change

    draft = model_draft_from(model=scoring_model_active())
    revenue = draft.criteria.get(key="revenue")
    wallet = draft.criteria.get(key="wallet")
    with pytest.raises(DomainError, match="positive cap"):
        model_change(
            model=draft,
            fields={"name": "Renamed"},
            criteria=[
                (wallet, {"weight": 7}),
                (revenue, {"normalisation": "capped_linear", "cap": None}),
            ],
        )
    draft.refresh_from_db()
    assert draft.name != "Renamed"
    assert draft.criteria.get(key="wallet").weight == wallet.weight
    assert draft.criteria.get(key="revenue").normalisation == revenue.normalisation


def test_what_if_preview_equals_scores_after_activation(portfolio, sell, month):
    for i in range(4):
        account = make_unit(f"Extra {i}")
        sell(account, 50 * (i + 1), month(2))
        assessment_update(account=account, willingness=9 - i)
    active = scoring_model_active()
    base = scoring_run_execute(model=active)
    draft = model_draft_from(model=active)
    for key, weight in {"revenue": 40, "wallet": 0, "willingness": 30}.items():
        criterion_update(criterion=draft.criteria.get(key=key), weight=weight)
    preview = what_if(draft_model=draft)
    assert preview["base_run"] == base
    assert not AccountScore.objects.exclude(run=base).exists()  # nothing saved
    model_activate(model=draft)
    after = scoring_run_execute(model=draft, as_of=preview["as_of"])
    saved = {s.account_id: (s.total, s.rank, s.recommendation) for s in after.scores.all()}
    assert saved == {r.account_id: (r.total, r.rank, r.recommendation) for r in preview["scores"]}
    before = {s.account_id: s for s in base.scores.all()}
    entering = {
        a
        for a, (_t, _r, rec) in saved.items()
        if rec == "key_candidate" and before[a].recommendation != "key_candidate"
    }
    assert {e["account_id"] for e in preview["entering"]} == entering
    shifts = {x["account_id"]: x["shift"] for x in preview["shifts"]}
    assert shifts == {a: before[a].rank - rank for a, (_t, rank, _r) in saved.items()}


def _portfolio(n, sell, month):
    for i in range(n):
        account = make_unit(f"Account {i}", industry="chemicals", employees=100 + i)
        site = make_unit(f"Site {i}", parent=account, kind="site", region=f"R{i % 4}")
        sell(site, 100 + i, month(2), cost=50)
        sell(account, 80, month(15))
        add_contact(site, "quality")
        assessment_update(account=account, willingness=i % 11, wallet_estimate=1000)
        buying_criteria_set(account=account, names=["Price"])


def test_scoring_uses_the_same_number_of_queries_for_3_and_30_accounts(sell, month):
    model = scoring_model_active()
    _portfolio(3, sell, month)
    with CaptureQueriesContext(connection) as small:
        scoring_run_execute(model=model)
    _portfolio(27, sell, month)
    with CaptureQueriesContext(connection) as large:
        run = scoring_run_execute(model=model)
    assert run.accounts_count == 30
    # both runs first compute the facts of the accounts changed since (3, then 27), and their
    # monthly series with them (decision 120: a delete and one aggregate)
    assert len(small.captured_queries) == len(large.captured_queries) <= 32, len(small)
    with CaptureQueriesContext(connection) as again:
        scoring_run_execute(model=model)
    # nothing changed: one query reads the facts of every account (+1: the run's first heartbeat,
    # +1: the buying-centre sizes, +1: the monthly history of the learned expected revenue,
    # +1: the done run marks the executive dashboard stale)
    assert len(again.captured_queries) <= 21, len(again)
    assert len(again.captured_queries) < len(large.captured_queries)


def test_as_of_uses_only_data_known_then(sell, today):
    import datetime as dt

    from kam.core.periods import add_months
    from kam.identification.engine import data_end
    from kam.identification.models import AccountAssessment

    account = make_unit("Acme")
    assessment_update(account=account, willingness=3)
    AccountAssessment.history.update(history_date=dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    assessment_update(account=account, willingness=8)
    as_of = today - dt.timedelta(days=5)
    add_contact(account, start_date=today - dt.timedelta(days=3))
    add_contact(account, start_date=today - dt.timedelta(days=30))
    end = data_end(as_of)
    sell(account, 100, add_months(end, -1))
    sell(account, 7000, end)  # a month not complete on as_of
    model = scoring_model_active()
    then = AccountScore.objects.get(run=scoring_run_execute(model=model, as_of=as_of))
    assert then.willingness == 3.0
    assert then.breakdown["dmu_size"]["raw"] == 1.0
    assert then.breakdown["revenue"]["raw"] == 100.0
    now = AccountScore.objects.get(run=scoring_run_execute(model=model))
    assert now.willingness == 8.0
    assert now.breakdown["dmu_size"]["raw"] == 2.0
