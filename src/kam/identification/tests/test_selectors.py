import pytest
from django.test import override_settings

from kam.identification.models import ScoringRun
from kam.identification.selectors import (
    portfolio_matrix,
    position_index,
    quadrant_of,
    scoring_model_active,
)
from kam.identification.services import (
    assessment_update,
    model_draft_from,
    model_update,
    scoring_run_enqueue,
    scoring_run_execute,
)
from kam.sales.models import Competitor, CompetitorShare, ProductLine, SupplierPosition
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db

active = scoring_model_active


def test_quadrants_and_position_index():
    assert quadrant_of(7, 1.5) == "strategic"
    assert quadrant_of(7, 0.5) == "star"
    assert quadrant_of(3, 1.0) == "status"
    assert quadrant_of(4.99, 0.99) == "streamline"
    assert position_index("not_approved") == 0
    assert position_index("strategic") == 1
    assert position_index(None) == 0
    assert position_index("sole") == 0.8


def test_portfolio_matrix_points(sell, month, today):
    strong = make_unit("Strong")
    weak = make_unit("Weak")
    sell(strong, 800, month(2))
    sell(weak, 200, month(2))
    assessment_update(account=strong, wallet_estimate=1000)
    assessment_update(account=weak, wallet_estimate=2000)
    SupplierPosition.objects.create(account=strong, position="sole", since=today)
    line = ProductLine.objects.create(code="X", name="X")
    CompetitorShare.objects.create(
        account=weak,
        product_line=line,
        competitor=Competitor.objects.create(name="Rival"),
        share_pct=60,
        as_of=today,
    )
    run = scoring_run_execute(model=scoring_model_active())
    points = {p["name"]: p for p in portfolio_matrix(run=run)}
    s = points["Strong"]
    # S_own = 10·(0.5·0.8 + 0.3·0.8) = 6.4; S_comp = 10·(0.5·0.2 + 0.3·0.5) = 2.5
    assert (s["strength_own"], s["strength_competitor"], s["relative_strength"]) == (
        6.4,
        2.5,
        2.56,
    )
    assert s["value"] == [2.56, s["attractiveness"], 800.0]
    w = points["Weak"]
    # S_own = 10·0.5·0.1 = 0.5; S_comp = 10·(0.5·0.6 + 0.15) = 4.5
    assert (w["strength_own"], w["strength_competitor"]) == (0.5, 4.5)
    assert w["value"][0] == 0.33  # clipped to the log axis
    # Eight criteria have no data for either account: they are left out of the run and their
    # weight moves to the rest (decision 84), so both totals pass 50 (attractiveness 5) and the
    # strength alone splits them.
    assert set(run.left_out) >= {"growth", "profitability", "willingness"}
    assert w["attractiveness"] >= 5
    assert w["quadrant"] == "star"
    assert s["attractiveness"] >= 5
    assert s["quadrant"] == "strategic"
    assert s["policy"]
    assert s["quadrant_label"]
    assert s["symbol_size"] == 50.0
    assert portfolio_matrix(run=run, key_only=True) == []


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
)
def test_the_background_task_scores_a_queued_run(django_capture_on_commit_callbacks, users):
    make_unit("Acme")
    with django_capture_on_commit_callbacks(execute=True):
        run = scoring_run_enqueue(user=users["admin"])
    run = ScoringRun.objects.get(pk=run.pk)
    assert (run.status, run.progress, run.accounts_count) == ("done", 100, 1)


def test_a_model_with_other_cut_offs_moves_an_account_into_another_quadrant(sell, month, today):
    strong = make_unit("Strong")
    sell(strong, 800, month(2))
    assessment_update(account=strong, wallet_estimate=1000)
    SupplierPosition.objects.create(account=strong, position="sole", since=today)
    default = {p["name"]: p for p in portfolio_matrix(run=scoring_run_execute(model=active()))}
    # R = 6.4 / 2.5 = 2.56 by the default weights
    assert default["Strong"]["relative_strength"] == 2.56
    assert default["Strong"]["quadrant"] in ("strategic", "status")
    draft = model_update(
        model=model_draft_from(model=active()),
        matrix_strength_cutoff=3,
        matrix_attractiveness_cutoff=0,
        matrix_competitor_position=1,
        matrix_axis_min=0.1,
    )
    other = {p["name"]: p for p in portfolio_matrix(run=scoring_run_execute(model=draft))}
    s = other["Strong"]
    # S_comp = 10·(0.5·0.2 + 0.3·1) = 4 with the competitor rated at the top position
    assert (s["strength_competitor"], s["relative_strength"]) == (4.0, 1.6)
    assert s["quadrant"] == "star"  # everything is attractive; 1.6 is below the strength cut-off


def test_quadrant_of_reads_the_cut_offs_of_the_model(db):
    model = model_draft_from(model=active())
    assert quadrant_of(5.5, 1.2, model=model) == "strategic"
    model = model_update(model=model, matrix_attractiveness_cutoff=6, matrix_strength_cutoff=1.5)
    assert quadrant_of(5.5, 1.2, model=model) == "streamline"
    assert quadrant_of(6, 1.5, model=model) == "strategic"
