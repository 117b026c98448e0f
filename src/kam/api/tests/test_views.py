"""The API tokens page: list, create (secret shown once), revoke; as owner, other, outsider."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from kam.api.models import ApiToken
from kam.api.services import token_create

LIST, CREATE = "/settings/tokens/", "/settings/tokens/new/"
SECRET = re.compile(r"kam_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


def _revoke_url(token: ApiToken) -> str:
    return f"/settings/tokens/{token.pk}/revoke/"


def _api_get(client, secret: str, path: str = "/units"):
    return client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver"]


def test_it_lists_only_my_tokens(client_for, users):
    mine, _plain = token_create(user=users["field_rep"], name="Report script", scope="read")
    token_create(user=users["kam"], name="Someone else's sync", scope="read_write")
    gone, _plain = token_create(user=users["field_rep"], name="Old laptop")
    gone.revoked_at = timezone.now()
    gone.save()
    response = client_for("field_rep").get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Report script" in page
    assert f"kam_{mine.prefix}_" in page
    assert "Old laptop" in page
    assert "revoked" in page
    assert "Someone else" not in page
    assert 'id="api-tokens-link"' in page
    assert page.count('action="/settings/tokens/') == 2  # one revoke button + the create form


def test_every_internal_role_may_use_the_page(client_for):
    for role in ["executive", "kam", "sales_manager", "field_rep", "specialist", "admin"]:
        assert client_for(role).get(LIST).status_code == 200, role


def test_the_list_is_a_bounded_number_of_queries(client_for, users, django_assert_max_num_queries):
    for i in range(20):
        token_create(user=users["kam"], name=f"Token {i}")
    client = client_for("kam")
    with django_assert_max_num_queries(6):  # the header bell counts unread notifications
        assert client.get(LIST).status_code == 200


def test_outsider_is_refused(client_for, users):
    token, _plain = token_create(user=users["outsider"], name="Made before the role was lost")
    client = client_for("outsider")
    assert client.get(LIST).status_code == 403
    assert client.post(CREATE, {"name": "x", "scope": "read"}).status_code == 403
    assert client.post(_revoke_url(token)).status_code == 403
    assert ApiToken.objects.filter(user=users["outsider"]).count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_is_sent_to_the_login(client, users):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_creates_a_token_and_shows_the_secret_once(client_for, users):
    client = client_for("specialist")
    response = client.post(CREATE, {"name": "Sync job", "scope": "read_write"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]  # the secret is not kept by any cache
    page = response.content.decode()
    secrets_shown = set(SECRET.findall(page))
    assert len(secrets_shown) == 1
    secret = secrets_shown.pop()
    assert "shown only this once" in page
    token = ApiToken.objects.get(user=users["specialist"])
    assert (token.name, token.scope, token.expires) == ("Sync job", "read_write", None)
    assert secret not in token.secret_hash
    assert secret.startswith(f"kam_{token.prefix}_")
    # Not on the next visit of the page.
    later = client.get(LIST).content.decode()
    assert "Sync job" in later
    assert secret not in later
    assert not SECRET.search(later)
    # The token opens the API.
    assert _api_get(client, secret).status_code == 200


def test_a_read_token_from_the_page_cannot_write(client_for, users):
    client = client_for("admin")
    page = client.post(CREATE, {"name": "Reader", "scope": "read"}).content.decode()
    secret = SECRET.search(page).group(0)
    response = client.post(
        "/api/v1/units",
        {"name": "X", "kind": "group"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "scope"


def test_it_sets_the_expiry_in_days(client_for, users):
    before = timezone.now()
    response = client_for("kam").post(
        CREATE, {"name": "Temp", "scope": "read", "expires_in_days": "30"}
    )
    assert response.status_code == 200
    expires = ApiToken.objects.get(user=users["kam"]).expires
    assert before + dt.timedelta(days=30) <= expires <= timezone.now() + dt.timedelta(days=30)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "scope": "read"}, "This field is required."),
        ({"name": "   ", "scope": "read"}, "This field is required."),
        ({"name": "x" * 101, "scope": "read"}, "at most 100 characters"),
        ({"name": "ok", "scope": "admin"}, "Select a valid choice."),
        ({"name": "ok", "scope": "read", "expires_in_days": "0"}, "greater than or equal to 1"),
        ({"name": "ok", "scope": "read", "expires_in_days": "-3"}, "greater than or equal to 1"),
        ({"name": "ok", "scope": "read", "expires_in_days": "99999"}, "less than or equal to"),
        ({"name": "ok", "scope": "read", "expires_in_days": "soon"}, "Enter a whole number."),
        ({"name": "a\x00b", "scope": "read"}, "Null characters are not allowed."),
    ],
)
def test_bad_input_is_a_400_with_a_message(client_for, users, data, message):
    response = client_for("kam").post(CREATE, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="form-errors"' in page
    assert message in page
    assert not SECRET.search(page)
    assert not ApiToken.objects.exists()


def test_create_and_revoke_need_post(client_for, users):
    token, _plain = token_create(user=users["kam"], name="Mine")
    client = client_for("kam")
    assert client.get(CREATE).status_code == 405
    assert client.get(_revoke_url(token)).status_code == 405
    assert client.post(LIST).status_code == 405


def test_it_revokes_my_token_and_the_api_no_longer_accepts_it(client_for, users):
    client = client_for("field_rep")
    secret = SECRET.search(
        client.post(CREATE, {"name": "Laptop", "scope": "read"}).content.decode()
    ).group(0)
    assert _api_get(client, secret).status_code == 200
    token = ApiToken.objects.get(user=users["field_rep"])
    response = client.post(_revoke_url(token), follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert "revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not token.is_active
    answer = _api_get(client, secret)
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthenticated"
    # Revoking again changes nothing and is not an error.
    assert client.post(_revoke_url(token)).status_code == 302


def test_another_users_token_is_404(client, client_for, users, kam_b):
    theirs, plain = token_create(user=users["kam"], name="KAM's token")
    for who in [kam_b.user, users["field_rep"], users["admin"]]:
        client.force_login(who)
        response = client.post(_revoke_url(theirs))
        assert response.status_code == 404, who
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert _api_get(client_for("kam"), plain).status_code == 200


def test_an_unknown_token_is_404(client_for, users):
    assert client_for("kam").post("/settings/tokens/999999/revoke/").status_code == 404
