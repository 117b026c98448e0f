"""Decision 31: approval is four-eyes and needs the executive role.

A superuser who is not an executive does not approve a nomination (superuser status does not
replace a role); the executive who nominated an account does not approve it themselves unless
``KAM_ALLOW_SELF_APPROVAL`` is on. Service, page and API agree, and the pages do not offer a
button the user cannot use.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kam.api.services import token_create
from kam.customers.models import Unit
from kam.identification.models import NominationStatus
from kam.identification.services import nomination_approve, nomination_create, nomination_reject
from kam.testing.factories import UserFactory, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(users):
    return make_unit("Acme", account_manager=users["kam"])


@pytest.fixture
def superuser(users):
    users["superuser"] = UserFactory(
        username="root", role="admin", is_superuser=True, is_staff=True
    )
    return users["superuser"]


@pytest.fixture
def own_nomination(users, account):
    """A nomination made by the executive themselves."""
    return nomination_create(account=account, user=users["executive"], rationale="Potential")


def _approve_url(nomination) -> str:
    return reverse("identification:nomination_step", args=[nomination.pk, "approve"])


def _api_approve(client, settings, user, nomination):
    """POST …/approve over the API with a personal token of ``user``."""
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    _token, plain = token_create(user=user, name="token", scope="read_write")
    return client.post(
        f"/api/v1/identification/nominations/{nomination.pk}/approve",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {plain}",
    )


def test_a_superuser_who_is_not_an_executive_cannot_approve(users, account, superuser):
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    with pytest.raises(PermissionDenied):
        nomination_approve(nomination=nomination, user=superuser)
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.NOMINATED
    assert Unit.objects.get(pk=account.pk).tier == "transactional"


def test_a_superuser_gets_403_on_the_page_and_the_api(client, settings, users, account, superuser):
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    client.force_login(superuser)
    queue = client.get(reverse("identification:nominations")).content.decode()
    assert _approve_url(nomination) not in queue
    assert client.post(_approve_url(nomination), {}).status_code == 403
    assert _api_approve(client, settings, superuser, nomination).status_code == 403
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.NOMINATED


def test_an_executive_cannot_approve_their_own_nomination(users, own_nomination):
    with pytest.raises(PermissionDenied) as exc:
        nomination_approve(nomination=own_nomination, user=users["executive"])
    assert "another executive" in str(exc.value)
    own_nomination.refresh_from_db()
    assert own_nomination.status == NominationStatus.NOMINATED


def test_another_executive_approves_it(users, account, own_nomination):
    other = UserFactory(username="executive2", role="executive")
    approved = nomination_approve(nomination=own_nomination, user=other)
    assert approved.status == NominationStatus.KEY
    assert Unit.objects.get(pk=account.pk).tier != "transactional"


def test_the_nominator_may_still_withdraw_by_rejecting(users, own_nomination):
    rejected = nomination_reject(nomination=own_nomination, user=users["executive"], reason="No")
    assert rejected.status == NominationStatus.REJECTED


def test_self_approval_is_refused_on_the_page_and_the_api(
    client_for, client, settings, users, account, own_nomination
):
    c = client_for("executive")
    page = c.get(reverse("identification:account_score", args=[account.pk])).content.decode()
    assert 'data-step="approve"' not in page
    assert 'data-step="reject"' in page
    queue = c.get(reverse("identification:nominations")).content.decode()
    assert _approve_url(own_nomination) not in queue
    assert c.post(_approve_url(own_nomination), {}).status_code == 403
    answer = _api_approve(client, settings, users["executive"], own_nomination)
    assert answer.status_code == 403
    own_nomination.refresh_from_db()
    assert own_nomination.status == NominationStatus.NOMINATED


def test_the_setting_allows_self_approval_for_tiny_teams(
    settings, client_for, users, account, own_nomination
):
    settings.KAM_ALLOW_SELF_APPROVAL = True
    c = client_for("executive")
    page = c.get(reverse("identification:account_score", args=[account.pk])).content.decode()
    assert 'data-step="approve"' in page
    assert c.post(_approve_url(own_nomination), {}).status_code == 302
    own_nomination.refresh_from_db()
    assert own_nomination.status == NominationStatus.KEY
