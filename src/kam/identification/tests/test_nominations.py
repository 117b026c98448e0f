import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kam.core.errors import DomainError
from kam.customers.models import Unit
from kam.identification.models import NominationStatus
from kam.identification.selectors import (
    capacity_warnings,
    nomination_history,
    scoring_model_active,
)
from kam.identification.services import (
    assessment_update,
    demote,
    model_activate,
    model_draft_from,
    model_update,
    nomination_approve,
    nomination_create,
    nomination_reject,
    review_keep,
    review_start,
    scoring_run_execute,
)
from kam.identification.workflows import NOMINATION_WORKFLOW
from kam.people.models import Notification
from kam.testing.factories import UserFactory, make_unit

from .conftest import make_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(users):
    return make_unit("Acme", account_manager=users["kam"])


def steps(nomination):
    return [
        (e.kind, e.from_status, e.to_status, e.actor.username if e.actor else None)
        for e in nomination_history(nomination=nomination)
    ]


def test_a_kam_cannot_approve_an_executive_can(users, account):
    nomination = nomination_create(account=account, user=users["kam"], rationale="Big potential")
    for who in ("kam", "sales_manager", "field_rep", "admin", "outsider"):
        with pytest.raises(PermissionDenied):
            nomination_approve(nomination=nomination, user=users[who])
    nomination = nomination_approve(
        nomination=nomination,
        user=users["executive"],
        reason="Agreed",
        effective_date=dt.date(2026, 1, 31),
        scope="national",
    )
    assert nomination.status == "key"
    assert nomination.review_due == dt.date(2027, 1, 31)
    assert Unit.objects.get(pk=account.pk).tier == "national"


def test_only_kams_sales_managers_and_executives_nominate(users, account):
    for who in ("field_rep", "specialist", "outsider"):
        with pytest.raises(PermissionDenied):
            nomination_create(account=account, user=users[who], rationale="x")
    with pytest.raises(DomainError):
        nomination_create(account=account, user=users["kam"], rationale="  ")
    nomination_create(account=account, user=users["sales_manager"], rationale="Growing")
    with pytest.raises(DomainError):
        nomination_create(account=account, user=users["executive"], rationale="Again")


def test_complete_history_and_demotion_back_to_transactional(users, account):
    kam, boss = users["kam"], users["executive"]
    n = nomination_create(account=account, user=kam, rationale="Wants a partnership")
    n = nomination_approve(nomination=n, user=boss, reason="Yes")
    n = review_start(nomination=n, user=kam)
    with pytest.raises(PermissionDenied):
        review_keep(nomination=n, user=kam)
    n = review_keep(nomination=n, user=boss, note="Still strategic")
    n = review_start(nomination=n, user=boss)
    with pytest.raises(PermissionDenied):
        demote(nomination=n, user=kam, reason="x")
    assert Unit.objects.get(pk=account.pk).tier == "key"
    n = demote(nomination=n, user=boss, reason="Volumes collapsed")
    assert n.status == "demoted"
    assert Unit.objects.get(pk=account.pk).tier == "transactional"
    assert steps(n) == [
        ("nominated", "", "nominated", "kam"),
        ("approved", "nominated", "key", "executive"),
        ("review_started", "key", "under_review", "kam"),
        ("kept", "under_review", "kept", "executive"),
        ("review_started", "kept", "under_review", "executive"),
        ("demoted", "under_review", "demoted", "executive"),
    ]
    history = Unit.history.filter(id=account.pk).order_by("history_date")
    assert [h.tier for h in history] == ["transactional", "key", "transactional"]
    # a demoted account can be nominated again
    nomination_create(account=account, user=kam, rationale="Back on track")


def test_rejection_needs_a_reason_and_notifies_the_nominator(users, account):
    other_exec = UserFactory(role="executive", language="ru")
    n = nomination_create(account=account, user=users["kam"], rationale="Potential")
    assert Notification.objects.filter(user=users["executive"]).count() == 1
    assert Notification.objects.filter(user=other_exec).count() == 1
    assert "Acme" in Notification.objects.get(user=users["executive"]).text
    with pytest.raises(DomainError):
        nomination_reject(nomination=n, user=users["executive"], reason="")
    n = nomination_reject(nomination=n, user=users["executive"], reason="Too small")
    assert n.status == "rejected"
    assert Unit.objects.get(pk=account.pk).tier == "transactional"
    note = Notification.objects.get(user=users["kam"])
    assert "rejected" in note.text
    assert "Too small" in note.text
    assert not note.read
    with pytest.raises(DomainError):
        nomination_approve(nomination=n, user=users["executive"])


def test_a_recommended_candidate_becomes_key_with_its_scope(users, sell, month):
    account = make_unit("Globex", account_manager=users["kam"])
    for country in ("DE", "FR", "IT"):
        make_unit(f"Globex {country}", parent=account, kind="site", country=country)
    sell(account, 1000, month(2))
    assessment_update(account=account, willingness=9)
    model = make_model(
        [
            ("revenue", "potential", "revenue_12m", "percentile", 1),
            ("willingness", "relational", "willingness", "rubric", 1),
        ]
    )
    model_activate(model=model)
    scoring_run_execute(model=model)
    n = nomination_create(account=account, user=users["kam"], rationale="Recommended")
    assert n.scope == "global"
    assert n.score.recommendation == "key_candidate"
    n = nomination_approve(nomination=n, user=users["executive"])
    assert Unit.objects.get(pk=account.pk).tier == "global"
    assert [s[:3] for s in steps(n)][:2] == [
        ("recommended", "", ""),  # an event, not a status
        ("nominated", "", "nominated"),
    ]
    assert "approved" in Notification.objects.get(user=users["kam"]).text


def test_capacity_warning(users):
    kam = users["kam"]
    kam.capacity = 2
    kam.save()
    for i in range(3):
        make_unit(f"Key {i}", account_manager=kam, tier="key")
    make_unit("Other", account_manager=users["sales_manager"], tier="global")
    make_unit("Small", account_manager=kam)
    report = capacity_warnings()
    assert report["total"] == 4
    assert not report["total_exceeded"]
    assert [(o["user"], o["key_accounts"], o["capacity"]) for o in report["over_capacity"]] == [
        (kam, 3, 2)
    ]
    assert len(report["messages"]) == 1
    draft = model_draft_from(model=scoring_model_active())
    draft = model_update(model=draft, max_key_accounts=3)
    report = capacity_warnings(model=draft)
    assert report["total_exceeded"]
    assert "There are 4 key accounts, more than the limit of 3" in report["messages"][-1]


# --- the workflow table ----------------------------------------------------------------------


def test_keeping_a_key_account_that_was_never_reviewed_is_refused_clearly(users, account):
    n = nomination_create(account=account, user=users["kam"], rationale="Potential")
    n = nomination_approve(nomination=n, user=users["executive"])
    with pytest.raises(DomainError) as refused:
        review_keep(nomination=n, user=users["executive"], note="Fine")
    assert refused.value.code == "bad_state"
    assert "“Keep as key account” is not possible while the nomination is “Key account”" in str(
        refused.value.message
    )
    assert steps(n)[-1][0] == "approved"  # nothing was written


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("executive", ["review", "demote"]),
        ("kam", ["review"]),  # the account's KAM may start a review, not decide
        ("field_rep", []),
        ("outsider", []),
    ],
)
def test_the_table_lists_the_steps_each_role_may_take(users, account, who, expected):
    n = nomination_create(account=account, user=users["kam"], rationale="Potential")
    n = nomination_approve(nomination=n, user=users["executive"])
    assert [t.name for t in NOMINATION_WORKFLOW.allowed(users[who], n)] == expected


def test_every_declared_step_leads_to_a_stored_status():
    stored = set(NominationStatus.values)
    for transition in NOMINATION_WORKFLOW.transitions.values():
        assert transition.target in stored
        assert transition.sources <= stored
    assert "recommended" not in stored
    assert "approved" not in stored


def test_the_review_falls_due_after_the_models_review_period(users, account):
    draft = model_update(model=model_draft_from(model=scoring_model_active()), review_months=6)
    model_activate(model=draft)
    n = nomination_create(account=account, user=users["kam"], rationale="Potential")
    n = nomination_approve(
        nomination=n, user=users["executive"], effective_date=dt.date(2026, 8, 31)
    )
    assert n.review_due == dt.date(2027, 2, 28)  # six months on, the month's last day


def test_bad_matrix_settings_are_refused_by_the_service(users):
    draft = model_draft_from(model=scoring_model_active())
    with pytest.raises(ValidationError) as refused:
        model_update(model=draft, matrix_share_weight=0.6)
    assert "add up to 1" in str(refused.value)
    with pytest.raises(ValidationError):
        model_update(model=draft, review_months=61)
    draft.refresh_from_db()
    assert (draft.matrix_share_weight, draft.review_months) == (0.5, 12)
