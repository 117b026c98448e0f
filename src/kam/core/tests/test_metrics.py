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


def test_inside_a_read_each_metric_and_memoized_helper_is_computed_once():
    from kam.core.metrics import memoized, reading

    calls: list[tuple[list[int], dt.date]] = []

    def compute(ids, as_of):
        calls.append((list(ids), as_of))
        return _doubles(ids, as_of)

    helper_calls: list[int] = []

    @memoized
    def helper(ids, as_of, factor):
        helper_calls.append(factor)
        return {i: i * factor for i in ids}

    metric = Metric(key="test.memo", label="Memo", unit=MetricUnit.COUNT, compute=compute)
    metric.values([1, 2], AS_OF)
    metric.values([1, 2], AS_OF)
    assert len(calls) == 2  # outside a read: every call computes
    with reading():
        first = metric.values([2, 1], AS_OF)
        first[1] = 99  # a caller changing its answer does not change the kept one
        assert metric.values([1, 2], AS_OF) == {1: 2, 2: 4}
        assert metric.values([1, 2], AS_OF + dt.timedelta(days=1)) == {1: 2, 2: 4}
        assert helper([1], AS_OF, 3) == {1: 3}
        assert helper([1], AS_OF, 3) == {1: 3}
        assert helper([1], AS_OF, 5) == {1: 5}
        with reading():  # nested: the same memo
            metric.values([1, 2], AS_OF)
    assert len(calls) == 4  # one more per day inside the read
    assert helper_calls == [3, 5]
    metric.values([1, 2], AS_OF)
    assert len(calls) == 5  # the memo ended with the read


def test_a_get_request_reads_each_metric_once_and_a_post_does_not_keep_them(rf):
    from kam.core import metrics
    from kam.core.middleware import MetricReadMiddleware

    seen: list[bool] = []

    def view(request):
        seen.append(metrics._memo.get() is not None)
        return None

    MetricReadMiddleware(view)(rf.get("/"))
    MetricReadMiddleware(view)(rf.post("/"))
    assert seen == [True, False]


def test_inside_a_read_a_subset_of_accounts_is_answered_from_the_larger_call():
    from kam.core.metrics import reading

    calls: list[list[int]] = []

    def compute(ids, as_of):
        calls.append(list(ids))
        return _doubles(ids, as_of)

    metric = Metric(key="test.subset", label="Subset", unit=MetricUnit.COUNT, compute=compute)
    with reading():
        assert metric.values([1, 2, 3, 4], AS_OF) == {1: 2, 2: 4, 4: 8}
        assert metric.values([4, 3], AS_OF) == {4: 8}  # 3 has no value, as in the larger call
        assert metric.values([2, 5], AS_OF) == {2: 4, 5: 10}  # 5 was not asked: computed
    assert calls == [[1, 2, 3, 4], [2, 5]]
