"""Another KAM on the identification pages: kam_b may not move kam_a's account through the
nomination workflow, read kam_a's notifications away, or change the scoring model."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from kam.customers.models import Tier, Unit
from kam.identification.models import (
    ModelStatus,
    Nomination,
    NominationStatus,
    ScoringModel,
    ScoringRun,
)
from kam.identification.services import model_draft_from
from kam.people.models import Notification
from kam.testing.personas import Persona, db_snapshot


def _nomination(kam: Persona, status: str) -> Nomination:
    return Nomination.objects.create(
        account=kam.account, status=status, nominated_by=kam.user, rationale="Growing fast"
    )


# Each step with the state it starts from and a valid form, so only the permission refuses it.
STEPS = [
    pytest.param("approve", NominationStatus.NOMINATED, {"reason": "Mine", "scope": "global"}),
    pytest.param("reject", NominationStatus.NOMINATED, {"reason": "Not on my watch"}),
    pytest.param("review", NominationStatus.KEY, {"note": "A look"}, id="review (per account)"),
    pytest.param("keep", NominationStatus.UNDER_REVIEW, {"note": "Stays"}),
    pytest.param("demote", NominationStatus.KEY, {"reason": "Too small"}),
]


@pytest.mark.parametrize(("step", "status", "data"), STEPS)
def test_another_kam_cannot_take_a_step_on_kam_as_nomination(
    client: Client, kam_a: Persona, kam_b: Persona, step: str, status: str, data: dict[str, str]
) -> None:
    """Review is per account (its KAM, their manager, executives); the other steps are for
    executives only, so kam_b is refused every one of them on account A."""
    nomination = _nomination(kam_a, status)
    client.force_login(kam_b.user)
    before = db_snapshot()
    url = reverse("identification:nomination_step", args=[nomination.pk, step])
    response = client.post(url, data)
    assert response.status_code == 403
    assert db_snapshot() == before


def test_the_account_manager_may_start_the_review_another_kam_may_not(
    client: Client, kam_a: Persona
) -> None:
    nomination = _nomination(kam_a, NominationStatus.KEY)
    client.force_login(kam_a.user)
    response = client.post(
        reverse("identification:nomination_step", args=[nomination.pk, "review"]),
        {"note": "Annual review"},
    )
    assert response.status_code == 302
    assert Nomination.objects.get(pk=nomination.pk).status == NominationStatus.UNDER_REVIEW


def test_another_kam_may_nominate_account_a_but_cannot_make_it_key(
    client: Client, kam_a: Persona, kam_b: Persona
) -> None:
    """Not per object: any KAM, sales manager or executive nominates any account (PRODUCT §3).
    The nomination is kam_b's own, and account A stays transactional until an executive
    approves, a step refused to kam_b above."""
    client.force_login(kam_b.user)
    response = client.post(
        reverse("identification:nominate", args=[kam_a.account.pk]), {"rationale": "Big potential"}
    )
    assert response.status_code == 302
    assert Nomination.objects.get(account=kam_a.account).nominated_by == kam_b.user
    assert Unit.objects.get(pk=kam_a.account.pk).tier == Tier.TRANSACTIONAL


def test_marking_notifications_read_touches_only_ones_own(
    client: Client, kam_a: Persona, kam_b: Persona
) -> None:
    """Not per object: the page marks the signed-in user's notifications, even if kam_b
    sends the id of one of kam_a's."""
    theirs = Notification.objects.create(user=kam_a.user, text="Your nomination was approved")
    client.force_login(kam_b.user)
    response = client.post(reverse("identification:notifications_read"), {"id": [theirs.pk]})
    assert response.status_code == 302
    assert Notification.objects.get(pk=theirs.pk).read is False


@pytest.fixture
def draft(db: None) -> ScoringModel:
    return model_draft_from(model=ScoringModel.objects.get(status=ModelStatus.ACTIVE))


# Not per object: the scoring model and scoring runs are for administrators and executives.
SCORING_WRITES = {
    "run_start": lambda draft: (reverse("identification:run_start"), {}),
    "model_version (edit a draft)": lambda draft: (
        reverse("identification:model_version", args=[draft.version]),
        {"name": "Hijacked", "criteria-TOTAL_FORMS": 0, "criteria-INITIAL_FORMS": 0},
    ),
    "model_draft": lambda draft: (reverse("identification:model_draft", args=[1]), {}),
    "model_activate": lambda draft: (
        reverse("identification:model_activate", args=[draft.version]),
        {},
    ),
}


@pytest.mark.parametrize("request_for", SCORING_WRITES.values(), ids=SCORING_WRITES.keys())
def test_a_kam_cannot_run_scoring_or_change_the_model(
    client: Client,
    kam_b: Persona,
    draft: ScoringModel,
    request_for: Callable[[ScoringModel], tuple[str, dict[str, object]]],
) -> None:
    url, data = request_for(draft)
    client.force_login(kam_b.user)
    before = db_snapshot()
    response = client.post(url, data)
    assert response.status_code == 403
    assert db_snapshot() == before
    assert not ScoringRun.objects.exists()


def test_another_kam_cannot_rerun_a_failed_scoring_run(client: Client, kam_b: Persona) -> None:
    """Not per object: only administrators and executives start scoring runs, re-runs too."""
    model = ScoringModel.objects.get(status=ModelStatus.ACTIVE)
    failed = ScoringRun.objects.create(model=model, as_of="2026-01-31", status="failed")
    client.force_login(kam_b.user)
    before = db_snapshot()
    assert client.post(reverse("identification:run_rerun", args=[failed.pk])).status_code == 403
    api = client.post(f"/api/v1/identification/runs/{failed.pk}/rerun", headers=kam_b.headers)
    assert api.status_code == 403
    assert db_snapshot() == before
