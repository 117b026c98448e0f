"""A write that finds the database locked past the busy timeout answers 503, not 500.

The lock is simulated: every UPDATE of a unit raises the error SQLite gives when
``KAM_DB_BUSY_TIMEOUT`` expires while another writer (an import's publish step) holds the file.
A real lock held by another process is in ``kam/dataio/tests/test_import_staging.py``.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.urls import reverse

from kam.customers.models import Unit
from kam.customers.services import unit_version

pytestmark = pytest.mark.django_db

BUSY = "The database is busy; try again in a moment."


@pytest.fixture
def locked(monkeypatch):
    """Every change of a unit fails as it does when another writer holds SQLite's lock too long."""
    real = CursorWrapper.execute

    def execute(self, sql, params=None):
        if sql.lstrip().upper().startswith('UPDATE "CUSTOMERS_UNIT"'):
            raise OperationalError("database is locked")
        return real(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", execute)


def _form(unit, **changes):
    data = {
        "name": unit.name,
        "kind": unit.kind,
        "industry": unit.industry,
        "country": unit.country,
        "region": unit.region,
        "city": unit.city,
        "employees": "",
        "turnover": "",
        "external_id": "",
        "account_manager": unit.account_manager_id or "",
        "version": unit_version(unit),
    }
    data.update(changes)
    return data


def test_a_page_write_on_a_locked_database_answers_503_busy(client, kam_a, locked):
    client.force_login(kam_a.user)
    unit = kam_a.account
    response = client.post(reverse("web:account_edit", args=[unit.pk]), _form(unit, city="Oslo"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert BUSY in response.content.decode()
    assert Unit.objects.get(pk=unit.pk).city != "Oslo"


def test_an_api_write_on_a_locked_database_answers_503_busy_in_json(client, kam_a, locked):
    response = client.patch(
        f"/api/v1/units/{kam_a.account.pk}",
        data={"city": "Oslo"},
        content_type="application/json",
        headers=kam_a.headers,
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"code": "busy", "message": BUSY, "errors": []}


def test_another_kam_is_still_refused_before_any_write(client, kam_a, kam_b, locked):
    response = client.patch(
        f"/api/v1/units/{kam_a.account.pk}",
        data={"city": "Oslo"},
        content_type="application/json",
        headers=kam_b.headers,
    )
    assert response.status_code == 403


def test_other_database_errors_stay_server_errors(client, kam_a, monkeypatch):
    real = CursorWrapper.execute

    def execute(self, sql, params=None):
        if sql.lstrip().upper().startswith("UPDATE"):
            raise OperationalError("disk I/O error")
        return real(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", execute)
    response = client.patch(
        f"/api/v1/units/{kam_a.account.pk}",
        data={"city": "Oslo"},
        content_type="application/json",
        headers=kam_a.headers,
    )
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
