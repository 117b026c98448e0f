"""What a browser posts from the web shell's forms, for tests that post them."""

from __future__ import annotations

from kam.customers.models import Unit
from kam.customers.services import unit_version


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
