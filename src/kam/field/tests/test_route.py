"""The route order on hand-built sites whose optimum is known."""

from __future__ import annotations

import itertools

import pytest

from kam.field.route import haversine_km, route_minutes, route_order


def _brute_force(points, start):
    best = min(
        itertools.permutations(range(len(points))),
        key=lambda order: route_minutes(points, order, start),
    )
    return list(best)


def test_sites_along_a_road_are_visited_in_order(settings) -> None:
    settings.KAM_FIELD_SPEED_KMH = 40
    # six sites on one meridian, given shuffled; the route from the first goes north
    lats = [50.0, 50.5, 50.1, 50.3, 50.2, 50.4]
    points = [(lat, 8.0) for lat in lats]
    order = route_order(points)
    assert [lats[i] for i in order] == sorted(lats)


def test_the_route_equals_the_brute_force_optimum(settings) -> None:
    settings.KAM_FIELD_SPEED_KMH = 60
    # a depot and five sites around it where nearest-neighbour is not optimal
    start = (48.00, 11.00)
    points = [(48.00, 11.10), (48.00, 10.95), (48.00, 10.70), (48.00, 11.30), (48.05, 11.20)]
    order = route_order(points, start=start)
    best = _brute_force(points, start)
    assert route_minutes(points, order, start) == pytest.approx(route_minutes(points, best, start))


def test_haversine_distance() -> None:
    # one degree of latitude is about 111 km
    assert haversine_km((50.0, 8.0), (51.0, 8.0)) == pytest.approx(111.2, abs=0.2)
