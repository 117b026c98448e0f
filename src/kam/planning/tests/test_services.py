"""Plans: live objectives, roll-up, workflow, versions, concurrency, templates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kam.core.errors import DomainError
from kam.core.history import history_author
from kam.core.metrics import Metric, MetricUnit, registry
from kam.core.periods import month_start
from kam.identification.models import AccountAssessment
from kam.interactions.models import Interaction
from kam.planning import selectors, services
from kam.planning.models import (
    AccountPlan,
    ActionStatus,
    PlanEvent,
    PlanStatus,
    PlanVersion,
    ReviewOutcome,
)
from kam.planning.tests.conftest import PlanWorld, add_sales
from kam.testing.factories import UserFactory, make_unit

TODAY = timezone.localdate()
LAST_MONTH = month_start(TODAY) - dt.timedelta(days=10)


def _progress(plan: AccountPlan) -> selectors.PlanPage:
    plan.refresh_from_db()
    return selectors.plan_page(plan=plan, as_of=TODAY)


def _objective(w: PlanWorld, **fields):
    fields.setdefault("deadline", dt.date(2026, 12, 31))
    return services.objective_create(plan=w.plan, user=w.kam, revision=None, **fields)


# --- objectives equal the data --------------------------------------------------------------


def test_a_revenue_objective_follows_new_transactions(world: PlanWorld) -> None:
    _objective(
        world,
        title="Revenue 1000",
        metric_key="sales.revenue_12m",
        baseline=Decimal(0),
        target_value=Decimal(1000),
    )
    [o] = _progress(world.plan).objectives
    assert o.current == Decimal(0) and o.progress == 0.0
    add_sales(world.site, world.product_id, "400.00", LAST_MONTH)
    [o] = _progress(world.plan).objectives
    assert o.current == Decimal("400.00") and o.progress == pytest.approx(0.4)
    assert o.source == "metric"
    # a sale of the running month is not in the last 12 full months
    add_sales(world.site, world.product_id, "999.00", TODAY)
    assert _progress(world.plan).objectives[0].current == Decimal("400.00")


def test_a_share_of_wallet_objective_follows_a_wallet_change(world: PlanWorld) -> None:
    add_sales(world.site, world.product_id, "500.00", LAST_MONTH)
    assessment = AccountAssessment.objects.create(account=world.account, wallet_estimate=2000)
    _objective(
        world,
        title="Half the wallet",
        metric_key="sales.share_of_wallet",
        baseline=Decimal(0),
        target_value=Decimal(50),
    )
    [o] = _progress(world.plan).objectives
    assert o.current == Decimal("25.00") and o.progress == pytest.approx(0.5)
    assessment.wallet_estimate = Decimal(1000)
    assessment.save()
    [o] = _progress(world.plan).objectives
    assert o.current == Decimal("50.00") and o.progress == pytest.approx(1.0)


def test_a_metric_registered_by_another_app_is_used_by_a_plan(world: PlanWorld) -> None:
    metric = Metric(
        key="testapp.happiness",
        label="Customer happiness",
        unit=MetricUnit.SCORE,
        compute=lambda ids, as_of: dict.fromkeys(ids, 70),
    )
    registry.register(metric)
    try:
        assert ("testapp.happiness", "Customer happiness") in selectors.metric_choices()
        _objective(world, title="Happy", metric_key="testapp.happiness", target_value=Decimal(80))
        [o] = _progress(world.plan).objectives
        # the baseline was taken from the metric on creation: 70 → 80, now 70
        assert o.objective.baseline == Decimal(70)
        assert o.current == 70 and o.progress == 0.0
    finally:
        registry.unregister("testapp.happiness")


def test_a_level_objective_measures_along_the_levels(world: PlanWorld) -> None:
    from kam.sales.models import SupplierPosition

    SupplierPosition.objects.create(account=world.account, position="approved", since=LAST_MONTH)
    _objective(world, title="Primary", metric_key="sales.supplier_position", target_level="primary")
    [o] = _progress(world.plan).objectives
    assert o.objective.baseline_level == "approved" and o.progress == 0.0
    SupplierPosition.objects.create(account=world.account, position="preferred", since=TODAY)
    [o] = _progress(world.plan).objectives
    assert o.current == "preferred" and o.progress == pytest.approx(0.5)


def test_an_unknown_metric_or_a_missing_level_is_refused(world: PlanWorld) -> None:
    with pytest.raises(DomainError):
        _objective(world, title="X", metric_key="nope.nothing", target_value=Decimal(1))
    with pytest.raises(DomainError) as err:
        _objective(world, title="X", metric_key="sales.supplier_position")
    assert err.value.field == "target_level"
    assert not world.plan.objectives.exists()


# --- roll-up ----------------------------------------------------------------------------------


def test_action_completion_rolls_up_to_the_objective_and_the_plan(world: PlanWorld) -> None:
    objective = _objective(world, title="Open the north plant", target_value=Decimal(1))
    first, second = (
        services.action_create(
            plan=world.plan,
            user=world.kam,
            revision=None,
            title=title,
            owner=world.rep,
            due_date=dt.date(2026, 12, 20),
            objective=objective,
            unit=world.site,
        )
        for title in ("Visit the plant", "Send the offer")
    )
    page = _progress(world.plan)
    assert page.objectives[0].progress == 0.0 and page.progress == 0.0
    services.action_update(
        action=first, user=world.rep, revision=world.plan.revision + 0, status=ActionStatus.DONE
    )
    page = _progress(world.plan)
    [o] = page.objectives
    assert (o.actions_done, o.actions_total, o.source) == (1, 2, "actions")
    assert o.progress == pytest.approx(0.5) and page.progress == pytest.approx(0.5)
    first.refresh_from_db()
    assert first.done_by == world.rep and first.done_at is not None
    # a manual update replaces the actions' completion as the measure
    services.objective_update_record(
        objective=objective,
        user=world.kam,
        revision=None,
        date=TODAY,
        value=Decimal(1),
        note="Plant opened",
    )
    assert _progress(world.plan).objectives[0].progress == 1.0
    assert second.status == ActionStatus.OPEN


def test_an_interaction_logged_against_an_action_completes_it(world: PlanWorld) -> None:
    action = services.action_create(
        plan=world.plan,
        user=world.kam,
        revision=None,
        title="Visit the plant",
        owner=world.rep,
        due_date=dt.date(2026, 12, 20),
        unit=world.site,
    )
    services.action_log_interaction(action=action, user=world.rep, summary="Visited")
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.interaction is not None
    interaction = Interaction.objects.get(pk=action.interaction_id)
    assert interaction.unit == world.site and world.rep in interaction.participants.all()


def test_an_interaction_that_fails_leaves_the_action_open(world: PlanWorld) -> None:
    action = services.action_create(
        plan=world.plan,
        user=world.kam,
        revision=None,
        title="Visit",
        owner=world.rep,
        due_date=dt.date(2026, 12, 20),
    )
    with pytest.raises(DomainError):
        services.action_log_interaction(action=action, user=world.rep, type="carrier pigeon")
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN and not Interaction.objects.exists()


# --- workflow and permissions ---------------------------------------------------------------


def test_only_an_executive_approves_and_never_their_own_submission(world: PlanWorld) -> None:
    plan = services.plan_step(plan=world.plan, step="submit", user=world.kam)
    assert plan.status == PlanStatus.SUBMITTED
    with pytest.raises(PermissionDenied):
        services.plan_step(plan=plan, step="approve", user=world.kam)
    plan = services.plan_step(plan=plan, step="approve", user=world.executive)
    assert plan.status == PlanStatus.APPROVED and plan.next_review_due is not None
    assert PlanVersion.objects.filter(plan=plan, number=1).exists()
    # an executive who submits cannot approve it themselves
    plan = services.plan_step(plan=plan, step="reopen", user=world.kam)
    plan = services.plan_step(plan=plan, step="submit", user=world.executive)
    with pytest.raises(PermissionDenied):
        services.plan_step(plan=plan, step="approve", user=world.executive)
    plan = services.plan_step(plan=plan, step="approve", user=world.executive2)
    assert plan.versions.count() == 2
    kinds = list(PlanEvent.objects.filter(plan=plan).values_list("kind", flat=True))
    assert kinds == ["created", "submitted", "approved", "reopened", "submitted", "approved"]


def test_a_rejection_needs_a_reason_and_returns_to_draft(world: PlanWorld) -> None:
    services.plan_step(plan=world.plan, step="submit", user=world.kam)
    with pytest.raises(DomainError):
        services.plan_step(plan=world.plan, step="reject", user=world.executive)
    plan = services.plan_step(
        plan=world.plan, step="reject", user=world.executive, note="No customer input"
    )
    assert plan.status == PlanStatus.DRAFT


def test_an_approved_plan_is_reopened_before_its_content_changes(world: PlanWorld) -> None:
    services.plan_step(plan=world.plan, step="submit", user=world.kam)
    services.plan_step(plan=world.plan, step="approve", user=world.executive)
    world.plan.refresh_from_db()
    with pytest.raises(DomainError) as err:
        services.plan_update(plan=world.plan, user=world.kam, revision=None, mission="Other")
    assert err.value.code == "bad_state"


def test_a_field_rep_updates_their_own_action_but_not_the_plan(world: PlanWorld) -> None:
    other_rep = UserFactory(username="rep2", role="field_rep")
    action = services.action_create(
        plan=world.plan,
        user=world.kam,
        revision=None,
        title="Visit",
        owner=world.rep,
        due_date=dt.date(2026, 12, 20),
    )
    revision = AccountPlan.objects.get(pk=world.plan.pk).revision
    services.action_update(
        action=action, user=world.rep, revision=revision, status="in_progress", note="Booked"
    )
    with pytest.raises(PermissionDenied):
        services.action_update(action=action, user=world.rep, revision=None, title="Renamed")
    with pytest.raises(PermissionDenied):
        services.action_update(action=action, user=other_rep, revision=None, status="done")
    with pytest.raises(PermissionDenied):
        services.plan_update(plan=world.plan, user=world.rep, revision=None, mission="Mine")
    with pytest.raises(PermissionDenied):
        _objective_as(world, world.rep)
    action.refresh_from_db()
    assert (action.status, action.note, action.title) == ("in_progress", "Booked", "Visit")


def _objective_as(w: PlanWorld, user) -> None:
    services.objective_create(
        plan=w.plan, user=user, revision=None, title="X", deadline=dt.date(2026, 12, 31)
    )


def test_another_kam_changes_nothing(world: PlanWorld, kam_b) -> None:
    with pytest.raises(PermissionDenied):
        services.plan_update(plan=world.plan, user=kam_b.user, revision=None, mission="Mine")
    with pytest.raises(PermissionDenied):
        services.plan_step(plan=world.plan, step="submit", user=kam_b.user)
    with pytest.raises(PermissionDenied):
        services.plan_create(account=world.account, user=kam_b.user, period_start=TODAY)


def test_an_action_owner_must_be_active_with_a_role_and_the_unit_in_the_account(
    world: PlanWorld,
) -> None:
    stranger = make_unit("Elsewhere")
    base = {"title": "Visit", "due_date": dt.date(2026, 12, 20)}
    nobody = UserFactory(username="norole", role="")
    with pytest.raises(DomainError):
        services.action_create(plan=world.plan, user=world.kam, revision=None, owner=nobody, **base)
    with pytest.raises(DomainError) as err:
        services.action_create(
            plan=world.plan, user=world.kam, revision=None, owner=world.rep, unit=stranger, **base
        )
    assert err.value.field == "unit"
    assert not world.plan.actions.exists()


# --- reviews ----------------------------------------------------------------------------------


def test_a_review_on_the_cadence(world: PlanWorld) -> None:
    services.plan_step(plan=world.plan, step="submit", user=world.kam)
    services.plan_step(plan=world.plan, step="approve", user=world.executive)
    AccountPlan.objects.filter(pk=world.plan.pk).update(next_review_due=TODAY - dt.timedelta(1))
    world.plan.refresh_from_db()
    assert selectors.effective_status(world.plan, TODAY) == "review_due"
    assert any(w.code == "review_overdue" for w in _progress(world.plan).warnings)
    assert services.plans_mark_review_due(as_of=TODAY) == 1
    world.plan.refresh_from_db()
    assert world.plan.status == PlanStatus.REVIEW_DUE
    services.plan_review_record(
        plan=world.plan, user=world.kam, outcome=ReviewOutcome.CONFIRMED, note="On course"
    )
    world.plan.refresh_from_db()
    assert world.plan.status == PlanStatus.APPROVED
    assert world.plan.next_review_due > TODAY
    assert world.plan.reviews.get().note == "On course"


# --- versions and the diff --------------------------------------------------------------------


def test_the_diff_since_the_last_approved_version(world: PlanWorld) -> None:
    kept = _objective(world, title="Keep me", target_value=Decimal(5))
    dropped = _objective(world, title="Drop me", target_value=Decimal(5))
    action = services.action_create(
        plan=world.plan,
        user=world.kam,
        revision=None,
        title="Visit",
        owner=world.rep,
        due_date=dt.date(2026, 12, 20),
    )
    services.plan_step(plan=world.plan, step="submit", user=world.kam)
    services.plan_step(plan=world.plan, step="approve", user=world.executive)
    world.plan.refresh_from_db()
    version, diff = selectors.plan_diff_since_approved(plan=world.plan)
    assert version.number == 1 and diff.empty
    services.plan_step(plan=world.plan, step="reopen", user=world.kam)
    world.plan.refresh_from_db()
    services.plan_update(plan=world.plan, user=world.kam, revision=None, mission="Grow together")
    services.objective_delete(objective=dropped, user=world.kam, revision=None)
    _objective(world, title="New one", target_value=Decimal(2))
    services.objective_update(
        objective=kept, user=world.kam, revision=None, target_value=Decimal(7)
    )
    services.action_update(action=action, user=world.kam, revision=None, status="done")
    services.section_item_add(
        plan=world.plan,
        user=world.kam,
        revision=None,
        section="swot",
        kind="threat",
        text="Price war",
    )
    world.plan.refresh_from_db()
    _version, diff = selectors.plan_diff_since_approved(plan=world.plan)
    assert [(c.field, c.new) for c in diff.fields] == [("mission", "Grow together")]
    assert [i.title for i in diff.objectives["added"]] == ["New one"]
    assert [i.title for i in diff.objectives["removed"]] == ["Drop me"]
    [changed] = diff.objectives["changed"]
    assert [(c.field, c.old, c.new) for c in changed.changes] == [("target_value", "5.00", "7.00")]
    [changed_action] = diff.actions["changed"]
    assert changed_action.changes[0].field == "status"
    assert diff.sections["swot"]["added"] == [{"kind": "threat", "text": "Price war"}]


# --- concurrency ------------------------------------------------------------------------------


def test_a_stale_revision_is_refused_with_what_changed(world: PlanWorld) -> None:
    loaded = AccountPlan.objects.get(pk=world.plan.pk).revision
    with history_author(world.kam):  # what a request does for a page or an API call
        services.plan_update(plan=world.plan, user=world.kam, revision=loaded, mission="Mine first")
    with pytest.raises(services.PlanConflict) as err:
        services.plan_update(
            plan=AccountPlan.objects.get(pk=world.plan.pk),
            user=world.kam,
            revision=loaded,
            mission="Mine second",
        )
    assert err.value.code == "conflict"
    assert "Mine first" in err.value.message and str(world.kam) in err.value.message
    assert AccountPlan.objects.get(pk=world.plan.pk).mission == "Mine first"


# --- templates --------------------------------------------------------------------------------


@pytest.fixture
def quadrant(monkeypatch: pytest.MonkeyPatch):
    """Let a test say which quadrant the matrix puts each account in."""
    placed: dict[int, str] = {}
    metric = Metric(
        key="identification.quadrant",
        label="Quadrant",
        unit=MetricUnit.LEVEL,
        compute=lambda ids, as_of: {pk: placed[pk] for pk in ids if pk in placed},
        levels=(("streamline", "S"), ("status", "S"), ("star", "S"), ("strategic", "S")),
    )
    monkeypatch.setitem(registry._metrics, "identification.quadrant", metric)
    return placed


@pytest.mark.parametrize(
    ("where", "stage", "metrics"),
    [
        (
            "strategic",
            "partnership",
            [
                "sales.revenue_12m",
                "sales.share_of_wallet",
                "sales.supplier_position",
                "sales.opportunities_won_12m",
            ],
        ),
        ("streamline", "early", ["sales.margin_12m", "sales.revenue_12m"]),
    ],
)
def test_the_template_prefills_by_quadrant(
    kam_a, quadrant, where: str, stage: str, metrics: list[str]
) -> None:
    add_sales_account = kam_a.account
    from kam.testing.factories import ProductFactory

    add_sales(add_sales_account, ProductFactory().pk, "1000.00", LAST_MONTH)
    quadrant[kam_a.account.pk] = where
    plan = services.plan_create(account=kam_a.account, user=kam_a.user, from_template=True)
    assert (plan.quadrant, plan.target_stage) == (where, stage)
    assert plan.mission
    assert [o.metric_key for o in plan.objectives.all()] == metrics
    revenue = plan.objectives.get(metric_key="sales.revenue_12m")
    assert revenue.baseline == Decimal("1000.00")
    if where == "strategic":
        assert revenue.target_value == Decimal("1150.00")
        assert plan.objectives.get(metric_key="sales.supplier_position").target_level == "primary"
    else:
        assert revenue.target_value == Decimal("1000.00")


def test_an_account_outside_the_matrix_gets_an_empty_plan(kam_a, quadrant) -> None:
    plan = services.plan_create(account=kam_a.account, user=kam_a.user, from_template=True)
    assert not plan.objectives.exists() and plan.quadrant == ""


def test_a_plan_belongs_to_an_account(world: PlanWorld) -> None:
    with pytest.raises(DomainError):
        services.plan_create(account=world.site, user=world.kam)
    with pytest.raises(DomainError):
        services.plan_create(
            account=world.account, user=world.kam, period_start=dt.date(2026, 1, 1)
        )


# --- planning metrics -------------------------------------------------------------------------


def test_the_planning_metrics_for_many_accounts(
    world: PlanWorld, kam_b, django_assert_max_num_queries
) -> None:
    objective = _objective(world, title="Manual", target_value=Decimal(10))
    for days, status in ((-3, "open"), (3, "open"), (30, "open"), (-5, "done")):
        services.action_create(
            plan=world.plan,
            user=world.kam,
            revision=None,
            title=f"A{days}",
            owner=world.rep,
            due_date=TODAY + dt.timedelta(days=days),
            status=status,
            objective=objective,
        )
    ids = [world.account.pk, kam_b.account.pk]
    values = {
        key: registry.get(key).values(ids, TODAY)
        for key in (
            "planning.plan_status",
            "planning.objectives_on_track",
            "planning.objectives_total",
            "planning.actions_due_week",
            "planning.actions_overdue",
        )
    }
    assert values["planning.plan_status"] == {world.account.pk: "draft", kam_b.account.pk: "none"}
    assert values["planning.objectives_total"][world.account.pk] == 1
    assert values["planning.actions_due_week"][world.account.pk] == 1
    assert values["planning.actions_overdue"][world.account.pk] == 1
    assert values["planning.actions_overdue"][kam_b.account.pk] == 0
