"""Personas for permission tests: two key account managers, each with their own account.

``kam_a`` manages account A; ``kam_b`` is another real KAM (role ``kam``, not kam_a's manager)
who manages account B. Each has a read-write API token. A test where ``kam_b`` acts on kam_a's
objects is the "another KAM" outsider of healthchecks' tests: a user who may use the app, just
not on *this* object. ``db_snapshot()`` captures every row of the project's tables, so such a
test can assert that a refused write changed nothing.

The root ``conftest.py`` loads this module as a pytest plugin, so the fixtures are available to
every test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.apps import apps

from kam.api.models import TokenScope
from kam.api.services import token_create
from kam.customers.models import Unit
from kam.people.models import User
from kam.testing.factories import UserFactory, make_unit

# Columns a request may touch without changing anything a user relies on.
VOLATILE_FIELDS = frozenset({"last_used", "last_login"})


@dataclass(frozen=True)
class Persona:
    """A key account manager, the account they manage and the secret of their API token."""

    user: User
    account: Unit
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The request headers that carry the persona's token."""
        return {"Authorization": f"Bearer {self.token}"}


def make_persona(username: str, account_name: str) -> Persona:
    user = cast(User, UserFactory(username=username, role="kam"))
    account = make_unit(account_name, account_manager=user)
    _token, plain = token_create(user=user, name=f"{username} token", scope=TokenScope.READ_WRITE)
    return Persona(user=user, account=account, token=plain)


@pytest.fixture
def kam_a(db: None) -> Persona:
    """A key account manager who manages account A."""
    return make_persona("kam_a", "Account A")


@pytest.fixture
def kam_b(db: None, kam_a: Persona) -> Persona:
    """Another key account manager (account B): the outsider to everything of kam_a."""
    return make_persona("kam_b", "Account B")


# Counters and liveness rows every request or worker writes, whoever is refused.
BOOKKEEPING = {"api.RateCounter", "core.WorkerBeat"}


def db_snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every ``kam.*`` table, by model, ordered by primary key."""
    snapshot = {}
    for model in apps.get_models():
        if not model.__module__.startswith("kam.") or model._meta.label in BOOKKEEPING:
            continue
        fields = [
            f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE_FIELDS
        ]
        snapshot[model._meta.label] = list(model._default_manager.order_by("pk").values(*fields))
    return snapshot
