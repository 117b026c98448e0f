"""API throttling (trust): bad tokens per address, requests per valid token, shared counts."""

from __future__ import annotations

import pytest

from kam.api import throttle
from kam.api.models import RateCounter

pytestmark = pytest.mark.django_db


class _Clock:
    """The throttle's clock, held still: windows are fixed minutes, and a test whose requests
    straddled a minute's end would see its count start again (it did, once in CI)."""

    def __init__(self) -> None:
        self.now = 1_800_000_030.0  # half a minute into a window, and into a 15-minute one

    def time(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    held = _Clock()
    monkeypatch.setattr(throttle, "time", held)
    return held


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.KAM_LOGIN_FAILURE_LIMIT = 3
    settings.KAM_LOCKOUT_MINUTES = 15
    settings.KAM_API_RATE = 5


def test_bad_tokens_from_one_address_get_429_with_retry_after(api_as):
    api = api_as(None)
    for _ in range(3):
        assert api.get("/units", token="kam_abcd_wrong").status_code == 401
    response = api.get("/units", token="kam_abcd_wrong")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 15 * 60


def test_a_throttled_address_is_refused_even_with_a_good_token(api_as, token_for):
    api = api_as(None)
    for _ in range(3):
        api.get("/units", token="kam_abcd_wrong")
    assert api.get("/units", token=token_for("kam")).status_code == 429


def test_bad_tokens_from_another_address_do_not_count(api_as, client, token_for):
    api = api_as(None)
    for _ in range(3):
        client.get("/api/v1/units", HTTP_AUTHORIZATION="Bearer kam_x_y", REMOTE_ADDR="10.0.0.9")
    assert api.get("/units", token=token_for("kam")).status_code == 200


def test_the_address_is_free_again_in_the_next_window(api_as, token_for, clock):
    api = api_as(None)
    for _ in range(3):
        api.get("/units", token="kam_abcd_wrong")
    assert api.get("/units", token=token_for("kam")).status_code == 429
    clock.now += 15 * 60  # the failures were a lockout ago
    assert api.get("/units", token=token_for("kam")).status_code == 200


def test_a_token_may_call_again_in_the_next_minute(api_as, clock):
    busy = api_as("kam")
    for _ in range(5):
        busy.get("/units")
    assert busy.get("/units").status_code == 429
    clock.now += 60
    assert busy.get("/units").status_code == 200


def test_a_valid_token_is_held_to_its_rate_per_minute(api_as, token_for):
    busy = api_as("kam")
    for _ in range(5):
        assert busy.get("/units").status_code == 200
    response = busy.get("/units")
    assert response.status_code == 429
    assert response["Retry-After"] == "30"  # the rest of the held clock's minute
    # Another token of the same address is not slowed down by the busy one.
    assert busy.get("/units", token=token_for("executive")).status_code == 200


def test_the_counts_are_kept_in_the_database_for_every_process(api_as):
    api = api_as("kam")
    api.get("/units")
    api.get("/units")
    counter = RateCounter.objects.get(key__startswith="token:")
    assert counter.count == 2


def test_behind_a_proxy_each_client_is_counted_by_its_forwarded_address(
    client, settings, token_for
):
    settings.KAM_TRUSTED_PROXIES = 1
    settings.ALLOWED_HOSTS = ["testserver"]

    def call(token: str, forwarded: str):
        return client.get(
            "/api/v1/units",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_X_FORWARDED_FOR=forwarded,
            REMOTE_ADDR="10.0.0.1",  # the proxy
        )

    for i in range(3):  # the attacker varies the part of the header it controls
        call("kam_abcd_wrong", f"198.51.100.{i}, 203.0.113.66")
    assert call(token_for("kam"), "203.0.113.66").status_code == 429
    assert call(token_for("kam"), "203.0.113.7").status_code == 200
