"""The metric registry: an app registers a metric, a reader computes a column of it."""

import datetime as dt

import pytest

from kam.core.metrics import Metric, MetricRegistry, MetricUnit, UnknownMetric

AS_OF = dt.date(2026, 6, 30)


def _doubles(ids, as_of):
    return {i: i * 2 for i in ids if i != 3}


def test_a_registered_metric_answers_for_many_accounts_in_one_call():
    calls = []

    def compute(ids, as_of):
        calls.append((list(ids), as_of))
        return _doubles(ids, as_of)

    registry = MetricRegistry()
    registry.register(
        Metric(key="test.double", label="Double", unit=MetricUnit.COUNT, compute=compute)
    )
    metric = registry.get("test.double")
    assert metric.values([2, 1, 3, 2], AS_OF) == {1: 2, 2: 4}
    assert calls == [([1, 2, 3], AS_OF)]
    assert metric.value(3, AS_OF) is None
    assert metric.values([], AS_OF) == {}
    assert "test.double" in registry
    assert registry.choices() == [("test.double", "Double")]


def test_unknown_keys_units_and_double_registration_are_refused():
    registry = MetricRegistry()
    with pytest.raises(UnknownMetric):
        registry.get("nope")
    with pytest.raises(ValueError):
        registry.register(Metric(key="x", label="X", unit="furlongs", compute=_doubles))
    with pytest.raises(ValueError):
        registry.register(Metric(key="x", label="X", unit=MetricUnit.LEVEL, compute=_doubles))
    registry.register(Metric(key="x", label="X", unit=MetricUnit.COUNT, compute=_doubles))
    with pytest.raises(ValueError):
        registry.register(
            Metric(key="x", label="X", unit=MetricUnit.COUNT, compute=lambda i, d: {})
        )


def test_level_metrics_rank_their_values():
    metric = Metric(
        key="stage",
        label="Stage",
        unit=MetricUnit.LEVEL,
        compute=_doubles,
        levels=[("early", "Early"), ("mid", "Mid"), ("partnership", "Partnership")],
    )
    assert metric.level_rank("mid") == 1
    assert metric.level_rank("unknown") is None
