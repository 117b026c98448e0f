"""No page's SQL query count grows with the data: every page of the page benchmark
(kam.testing.pages.PAGES) is requested on the tiny demo build and on a build ten times its size,
and must make no more queries on the larger.

The two builds are made once for the module (they are the expensive part), inside one
transaction that is rolled back at the end, so the test database is left as it was.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from kam.demo.build import SCALES, Scale, demo_build, demo_reset
from kam.identification.models import ModelStatus, ScoringModel
from kam.identification.services import scoring_run_execute
from kam.people.models import User
from kam.testing.pages import PAGES, find_ids

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
TINY = SCALES["tiny"]
TEN_TIMES = Scale(
    groups=TINY.groups * 10,
    transactions=TINY.transactions * 10,
    contacts=TINY.contacts * 10,
    interactions=TINY.interactions * 10,
    reps_per_territory=TINY.reps_per_territory,
    specialists_per_function=TINY.specialists_per_function,
    max_companies=TINY.max_companies * 3,
)


def _counts() -> dict[str, tuple[int, int]]:
    """(status, queries) of every page, each as its persona, on the current build."""
    scoring_run_execute(model=ScoringModel.objects.get(status=ModelStatus.ACTIVE), as_of=TODAY)
    ids = find_ids()
    clients: dict[str, Client] = {}
    found = {}
    for page in PAGES:
        url = page.url(ids)
        if url is None:
            continue
        login = page.login(ids)
        if login not in clients:
            clients[login] = Client()
            clients[login].force_login(User.objects.get(username=login))
        client = clients[login]
        client.get(url)  # warm: sessions, caches of the first request
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url).status_code
        found[page.name] = (status, len(queries.captured_queries))
    return found


@pytest.fixture(scope="module")
def counts(django_db_setup, django_db_blocker):
    SCALES["_x10"] = TEN_TIMES
    # the module's fixture runs before the root conftest's settings of each test: the same here
    static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    try:
        with (
            override_settings(STORAGES=static),
            django_db_blocker.unblock(),
            transaction.atomic(),
        ):
            demo_build(scale="tiny", seed=3, today=TODAY)
            small = _counts()
            demo_reset()
            demo_build(scale="_x10", seed=3, today=TODAY)
            large = _counts()
            transaction.set_rollback(True)
    finally:
        del SCALES["_x10"]
    return small, large


@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_the_query_count_does_not_grow_with_the_data(counts, page):
    small, large = counts
    assert small[page][0] == 200, small[page]
    assert large[page][0] == 200, large[page]
    # the same count, or fewer: a page may switch to a lighter form for big data (the goal
    # form's people search instead of a list, decision 115)
    assert large[page][1] <= small[page][1], f"{small[page][1]} → {large[page][1]} queries"
