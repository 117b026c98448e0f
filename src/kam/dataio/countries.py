"""Country values of import files: every ISO 3166 code and name (see ``kam.core.countries``)."""

from __future__ import annotations

from kam.core.countries import country_code, lookup_table, suggest_country

__all__ = ["country_code", "lookup_table", "suggest_country"]
