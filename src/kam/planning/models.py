"""Tables of the account profile and the account plan."""

from __future__ import annotations
