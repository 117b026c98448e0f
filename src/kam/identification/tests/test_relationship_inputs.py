"""Scoring reads the relationships app: DMU size = contacts with a buying-centre role, and the
matrix's stage index = the confirmed relationship stage (decision 51)."""

import pytest

from kam.identification.models import AccountScore
from kam.identification.selectors import portfolio_matrix, scoring_model_active
from kam.identification.services import assessment_update, scoring_run_execute
from kam.relationships.services import role_add, stage_confirm
from kam.testing.factories import make_unit

from .conftest import add_contact

pytestmark = pytest.mark.django_db


def test_dmu_size_counts_contacts_with_a_buying_centre_role():
    acme = make_unit("Acme")
    people = [add_contact(acme, f).contact for f in ("purchasing", "finance", "it")]
    run = scoring_run_execute(model=scoring_model_active())
    # no role recorded yet: the current contacts, as before
    assert AccountScore.objects.get(run=run, account=acme).breakdown["dmu_size"]["raw"] == 3.0
    role_add(account=acme, contact=people[0], role="decider", actor=None)
    role_add(account=acme, contact=people[0], role="buyer", actor=None)
    role_add(account=acme, contact=people[1], role="user", actor=None)
    run = scoring_run_execute(model=scoring_model_active())
    assert AccountScore.objects.get(run=run, account=acme).breakdown["dmu_size"]["raw"] == 2.0


def test_the_matrix_stage_index_is_the_confirmed_stage(sell, month):
    acme = make_unit("Acme")
    sell(acme, 800, month(2))
    assessment_update(account=acme, wallet_estimate=1000)
    run = scoring_run_execute(model=scoring_model_active())
    before = portfolio_matrix(run=run)[0]["strength_own"]
    assert before == 4.0  # 10 · 0.5 · 0.8; no position, no stage
    stage_confirm(account=acme, stage="partnership", reason="Joint plan signed", actor=None)
    after = portfolio_matrix(run=run)[0]["strength_own"]
    assert after == pytest.approx(4.0 + 10 * 0.2 * 0.75)  # stage weight 0.2 · index 0.75
