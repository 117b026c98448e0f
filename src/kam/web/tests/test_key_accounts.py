"""Reviewing and demoting key accounts that did not come through a nomination in the app, and
approving a nomination with its account manager."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kam.core.errors import DomainError
from kam.customers.models import Unit
from kam.identification.models import Nomination, NominationStatus
from kam.identification.selectors import account_manager_candidates
from kam.identification.services import (
    key_account_step,
    nomination_approve,
    nomination_create,
)
from kam.people.models import Notification
from kam.testing.factories import UserFactory, make_unit
from kam.testing.html import parse
from kam.testing.personas import db_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(users):
    """A key account whose tier came from an import: no nomination at all."""
    return make_unit("Imported Key AG", account_manager=users["kam"], tier="national")


def _steps(html: str) -> list[str]:
    card = parse(html).find(id="key-account-status")
    return [f.attrs["data-step"] for f in card.find_all("form")]


def test_the_kam_starts_the_review_and_an_executive_demotes(client_for, users, imported):
    kam = client_for("kam")
    html = kam.get(reverse("web:account", args=[imported.pk])).content.decode()
    assert parse(html).find(id="key-account-state").text == "Key account"
    assert _steps(html) == ["review"]
    response = kam.post(
        reverse("web:key_account_step", args=[imported.pk, "review"]), {"note": "Yearly"}
    )
    assert response.status_code == 302
    standing = Nomination.objects.get(account=imported)
    assert standing.status == NominationStatus.UNDER_REVIEW
    assert standing.scope == "national"
    kinds = list(standing.events.order_by("pk").values_list("kind", "actor__username"))
    assert kinds == [("approved", None), ("review_started", "kam")]
    executive = client_for("executive")
    html = executive.get(reverse("web:account", args=[imported.pk])).content.decode()
    assert _steps(html) == ["keep", "demote"]
    response = executive.post(
        reverse("web:key_account_step", args=[imported.pk, "demote"]),
        {"reason": "Volume moved to a distributor"},
    )
    assert response.status_code == 302
    imported.refresh_from_db()
    assert imported.tier == "transactional"
    assert Nomination.objects.get(account=imported).status == NominationStatus.DEMOTED


def test_an_executive_demotes_directly_with_a_reason(users, imported):
    with pytest.raises(DomainError):
        key_account_step(account=imported, user=users["executive"], step="demote", text="")
    assert not Nomination.objects.exists()  # nothing half-written
    key_account_step(account=imported, user=users["executive"], step="demote", text="Shrinking")
    imported.refresh_from_db()
    assert imported.tier == "transactional"


@pytest.mark.parametrize("who", ["outsider", "field_rep", "another_kam"])
def test_others_cannot_review_or_demote(client, users, imported, who):
    user = users.get(who) or UserFactory(username="another", role="kam")
    client.force_login(user)
    before = db_snapshot()
    for step, data in (("review", {"note": "x"}), ("demote", {"reason": "x"})):
        response = client.post(reverse("web:key_account_step", args=[imported.pk, step]), data)
        assert response.status_code in (403, 404)
    assert db_snapshot() == before


def test_a_kam_cannot_demote(users, imported):
    with pytest.raises(PermissionDenied):
        key_account_step(account=imported, user=users["kam"], step="demote", text="Mine")
    assert not Nomination.objects.exists()


def test_a_transactional_account_has_no_status_card(client_for, users):
    plain = make_unit("Plain", account_manager=users["kam"])
    html = client_for("kam").get(reverse("web:account", args=[plain.pk])).content.decode()
    assert "key-account-status" not in html
    response = client_for("kam").post(
        reverse("web:key_account_step", args=[plain.pk, "review"]), {"note": "x"}
    )
    assert response.status_code == 400


# --- approval names the manager ---------------------------------------------------------------


@pytest.fixture
def unmanaged(users):
    account = make_unit("Unmanaged GmbH")
    return nomination_create(account=account, user=users["sales_manager"], rationale="Growing")


def test_approval_refuses_to_leave_a_key_account_without_a_manager(users, unmanaged):
    with pytest.raises(DomainError) as refused:
        nomination_approve(nomination=unmanaged, user=users["executive"])
    assert refused.value.field == "account_manager"
    assert Unit.objects.get(pk=unmanaged.account_id).tier == "transactional"


def test_approval_with_a_manager_sets_and_tells_them(users, unmanaged):
    nomination_approve(nomination=unmanaged, user=users["executive"], account_manager=users["kam"])
    account = Unit.objects.get(pk=unmanaged.account_id)
    assert (account.tier, account.account_manager) == ("key", users["kam"])
    assert Notification.objects.filter(user=users["kam"], text__contains="Unmanaged GmbH").exists()


def test_a_field_rep_cannot_be_the_manager(users, unmanaged):
    with pytest.raises(DomainError):
        nomination_approve(
            nomination=unmanaged, user=users["executive"], account_manager=users["field_rep"]
        )


def test_approve_on_the_page_and_in_the_api(client, client_for, users, unmanaged):
    executive = client_for("executive")
    url = reverse("identification:nomination_step", args=[unmanaged.pk, "approve"])
    refused = executive.post(url, {"reason": "Yes"})
    assert refused.status_code == 400
    assert "account manager" in parse(refused.content).find(id="step-error").text
    page = executive.get(reverse("identification:account_score", args=[unmanaged.account_id]))
    options = parse(page.content).find(id=f"approve-manager-{unmanaged.pk}").find_all("option")
    assert users["kam"].get_full_name() in options[1].text  # the KAM with room comes first
    from kam.api.services import token_create

    _token, secret = token_create(user=users["executive"], name="t", scope="read_write")
    api = f"/api/v1/identification/nominations/{unmanaged.pk}/approve"
    headers = {"Authorization": f"Bearer {secret}"}
    bad = client.post(api, {}, content_type="application/json", headers=headers)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "account_manager" if "errors" in bad.json() else True
    ok = client.post(
        api,
        {"account_manager_id": users["kam"].pk},
        content_type="application/json",
        headers=headers,
    )
    assert ok.status_code == 200, ok.content
    assert Unit.objects.get(pk=unmanaged.account_id).account_manager == users["kam"]


def test_candidates_put_kams_with_room_first(users):
    full = UserFactory(username="full", role="kam", capacity=1)
    make_unit("Full's", account_manager=full, tier="key")
    roomy = UserFactory(username="roomy", role="kam", capacity=9)
    order = [c["user"].username for c in account_manager_candidates()]
    assert order.index("roomy") < order.index("kam") < order.index("full")
    assert order.index("full") < order.index("executive")
    assert roomy in [c["user"] for c in account_manager_candidates()]
