"""The account metric registry: each app says which figures it can compute for an account.

Plans (objectives that track a metric), health, My accounts and the dashboard read figures
through this registry, never by importing the app that computes them, so a new app adds metrics
without touching its readers (DESIGN.md, "Metrics are registered").

An app registers its metrics in its ``AppConfig.ready``::

    from kam.core.metrics import Metric, MetricUnit, register

    register(Metric(
        key="sales.revenue_12m",
        label=gettext_lazy("Revenue, last 12 full months"),
        unit=MetricUnit.MONEY,
        compute=revenue_12m_values,      # (account_ids, as_of) -> {account_id: value}
        description=gettext_lazy("..."),
    ))

``compute`` is called with many accounts at once and must answer in a bounded number of queries
whatever their number: lists (My accounts, the dashboard) ask for a whole column in one call.
An account without a value is simply absent from the answer (or maps to ``None``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # dev-only package: types only

MetricValue = Decimal | float | int | str | None
ComputeFn = Callable[[Sequence[int], dt.date], Mapping[int, MetricValue]]


# --- One computation per read -----------------------------------------------------------------
# A page often needs one figure several ways: My accounts shows revenue as a column, inside the
# share of wallet and inside every revenue objective's progress. Within ``reading()`` (every GET
# and HEAD request, ``kam.core.middleware.MetricReadMiddleware``) a metric's values, and the
# helpers marked ``memoized``, are computed once per accounts and day. Never around a write:
# the memo would hide what the write changed.

_memo: ContextVar[dict[Any, Any] | None] = ContextVar("kam_metric_memo", default=None)
F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def reading() -> Iterator[None]:
    """Compute each metric (and each ``memoized`` helper) once per accounts and day inside."""
    if _memo.get() is not None:  # already inside one
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoized(fn: F) -> F:
    """Keep ``fn(account_ids, as_of, *args)``'s answer for the rest of a ``reading()`` block;
    a dict answer is copied on the way out so a caller cannot change the kept one."""

    @functools.wraps(fn)
    def wrapper(account_ids: Iterable[int], as_of: dt.date, *args: Any) -> Any:
        memo = _memo.get()
        ids = tuple(account_ids)
        if memo is None:
            return fn(ids, as_of, *args)
        key = (fn.__module__, fn.__qualname__, as_of, args)
        return _remembered(memo, key, ids, lambda: fn(ids, as_of, *args))

    return wrapper  # type: ignore[return-value]


def _remembered(
    memo: dict[Any, Any], key: Any, ids: tuple[int, ...], compute: Callable[[], Any]
) -> Any:
    """The kept answer for ``ids``: the one for these ids, else the part for them of one kept
    for more accounts (answers are per account), else computed now and kept. So a figure read
    for a subset of the accounts after all of them (the share of wallet after the revenue
    column) costs nothing, whatever the data. A dict answer comes as a copy."""
    entries: dict[tuple[int, ...], Any] = memo.setdefault(key, {})
    if ids in entries:
        found = entries[ids]
        return dict(found) if isinstance(found, dict) else found
    wanted = set(ids)
    for known, answer in entries.items():
        if isinstance(answer, dict) and wanted <= set(known):
            return {k: v for k, v in answer.items() if k in wanted}
    entries[ids] = found = compute()
    return dict(found) if isinstance(found, dict) else found


class MetricUnit(models.TextChoices):
    """What a metric's value is, so readers can format it and compare it with a target."""

    MONEY = "money", _("money (reporting currency)")
    PERCENT = "percent", _("per cent (0–100)")
    COUNT = "count", _("count")
    SCORE = "score", _("score (0–100)")
    DAYS = "days", _("days")
    LEVEL = "level", _("level (ordered choice)")


@dataclass(frozen=True)
class Metric:
    key: str
    label: StrOrPromise
    unit: str
    compute: ComputeFn
    description: StrOrPromise = ""
    # False when a lower value is the better one (days since last contact, overdue actions)
    higher_is_better: bool = True
    # for LEVEL metrics: the ordered (value, label) choices; progress is measured along them
    levels: Sequence[tuple[str, StrOrPromise]] = field(default_factory=tuple)

    def values(self, account_ids: Iterable[int], as_of: dt.date) -> dict[int, MetricValue]:
        ids = sorted(set(account_ids))
        if not ids:
            return {}
        memo = _memo.get()
        if memo is None:
            return dict(self.compute(ids, as_of))
        return _remembered(
            memo, ("metric", self.key, as_of), tuple(ids), lambda: dict(self.compute(ids, as_of))
        )

    def value(self, account_id: int, as_of: dt.date) -> MetricValue:
        return self.values([account_id], as_of).get(account_id)

    def level_rank(self, value: MetricValue) -> int | None:
        """Position of a LEVEL value along ``levels`` (0 = lowest), None when unknown."""
        for rank, (code, _label) in enumerate(self.levels):
            if code == value:
                return rank
        return None


class UnknownMetric(KeyError):
    pass


class MetricRegistry:
    def __init__(self) -> None:
        self._metrics: dict[str, Metric] = {}

    def register(self, metric: Metric) -> Metric:
        if metric.unit not in MetricUnit.values:
            raise ValueError(f"metric {metric.key}: unknown unit {metric.unit!r}")
        if metric.unit == MetricUnit.LEVEL and not metric.levels:
            raise ValueError(f"metric {metric.key}: a level metric needs its levels")
        existing = self._metrics.get(metric.key)
        if existing is not None and existing.compute is not metric.compute:
            raise ValueError(f"metric {metric.key} is registered twice")
        self._metrics[metric.key] = metric
        return metric

    def unregister(self, key: str) -> None:
        self._metrics.pop(key, None)

    def get(self, key: str) -> Metric:
        try:
            return self._metrics[key]
        except KeyError:
            raise UnknownMetric(key) from None

    def __contains__(self, key: object) -> bool:
        return key in self._metrics

    def all(self) -> list[Metric]:
        return sorted(self._metrics.values(), key=lambda m: m.key)

    def choices(self) -> list[tuple[str, str]]:
        return [(m.key, str(m.label)) for m in self.all()]


registry = MetricRegistry()
register = registry.register
get_metric = registry.get
