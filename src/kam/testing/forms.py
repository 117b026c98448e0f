"""What a browser sends to the web shell's pages, for tests that send it."""

from __future__ import annotations

from kam.customers.models import Unit
from kam.customers.services import unit_version

# Query strings every list page with paging, sorting and the tier and country filters refuses
# with a 400 page: a page that is no number or out of range, an unknown sort, an unknown choice.
BAD_LIST_QUERIES: list[dict[str, str]] = [
    {"page": "abc"},
    {"page": "0"},
    {"page": "99"},
    {"sort": "password"},
    {"tier": "nonsense"},
    {"country": "XX"},
]


def account_edit_data(unit: Unit, **changes: object) -> dict[str, object]:
    """The account edit form as the page fills it for ``unit``, with ``changes`` made."""
    data: dict[str, object] = {
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
