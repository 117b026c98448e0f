"""What list pages share: links written for many rows from one ``reverse``."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.core.pages import link_maker


@pytest.mark.parametrize("name", ["web:account", "teams:account_team"])
def test_a_link_maker_writes_what_reverse_writes(name):
    link = link_maker(name)
    for pk in (1, 42, 987654321, 10**12):
        assert link(pk) == reverse(name, args=[pk])


def test_a_link_maker_refuses_what_is_not_an_id():
    with pytest.raises(ValueError):
        link_maker("web:account")("1/../admin")  # type: ignore[arg-type]


@pytest.mark.django_db
def test_keys_first_gives_the_same_pages_and_sorts_without_the_row_joins():
    """The account page's contacts: the page's keys are found with the order's joins only, then
    its rows are read with their select_related joins (decision 130)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kam.core.pages import paginate
    from kam.customers.selectors import account_current_positions
    from kam.testing.factories import ContactFactory, EmploymentFactory, make_unit

    account = make_unit("Paged Group")
    sites = [make_unit(f"Site {i}", parent=account) for i in range(3)]
    boss = EmploymentFactory(unit=account, contact=ContactFactory(last_name="Zeller"))
    for i in range(23):
        EmploymentFactory(
            unit=sites[i % 3],
            contact=ContactFactory(last_name=f"Name{i % 7}", first_name=f"F{i:02d}"),
            reports_to=boss if i % 2 else None,
        )
    positions = account_current_positions(unit=account)
    for page in (1, 2, 3):
        plain = paginate(positions, page, 10)
        with CaptureQueriesContext(connection) as queries:
            keyed = paginate(positions, page, 10, keys_first=True)
        assert [p.pk for p in keyed[0]] == [p.pk for p in plain[0]]
        assert keyed[1:] == plain[1:] == (24, 3)
        keys_sql = queries.captured_queries[1]["sql"]
        assert "LIMIT" in keys_sql and keys_sql.count("JOIN") == 2  # unit and contact: the order
        with CaptureQueriesContext(connection) as reads:
            names = [
                (p.contact.last_name, p.reports_to and p.reports_to.contact.last_name)
                for p in keyed[0]
            ]
        assert len(reads) == 0  # the joins came with the rows
        assert names == [
            (p.contact.last_name, p.reports_to and p.reports_to.contact.last_name) for p in plain[0]
        ]
