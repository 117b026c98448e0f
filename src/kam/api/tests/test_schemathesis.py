"""Property-based run of every operation of the OpenAPI description against the app itself.

Cases are generated from the schema (valid and invalid input); the app must never answer with a
5xx and every answer must match the documented response schema.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from kam.testing.factories import (
    ContactFactory,
    EmploymentFactory,
    InteractionFactory,
    ProductFactory,
    make_unit,
)
from kam.wsgi import application

# The schema is read from the app itself (no database is touched to serve it).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def wsgi_in_test_transaction():
    """Keep the test's database connection across requests, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(users, token_for, settings, wsgi_in_test_transaction):
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    # A little data so generated ids sometimes hit real rows.
    group = make_unit("Acme Group", external_id="ACME")
    plant = make_unit("Acme Plant", parent=group)
    emp = EmploymentFactory(unit=plant, contact=ContactFactory())
    InteractionFactory(unit=plant).contacts.add(emp.contact)
    ProductFactory(sku="SKU-1")
    return {"Authorization": f"Bearer {token_for('admin')}"}


@schema.parametrize()
@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_fails_and_matches_its_schema(case, admin_headers):
    case.call_and_validate(
        headers=admin_headers, checks=[not_a_server_error, response_schema_conformance]
    )
