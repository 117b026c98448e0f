"""Who is the author of the audit history written outside a web request (jobs, commands).

simple-history takes the author of a history row from ``HistoricalRecords.context.request``
(set by its middleware for every web request; the API's token auth sets ``request.user`` to
the token's user). Work that runs without a request, such as an import job in the worker,
names its author with :func:`history_author`, so every write names who caused it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from simple_history.models import HistoricalRecords

_MISSING = object()


@contextmanager
def history_author(user: Any) -> Iterator[None]:
    """History rows written inside the block (saves and bulk helpers) name ``user``."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", _MISSING)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is _MISSING:
            del context.request
        else:
            context.request = previous
