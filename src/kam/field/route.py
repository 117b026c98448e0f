"""A rep's visits ordered into a route with VROOM (pyvroom), on straight-line (haversine)
travel times at ``KAM_FIELD_SPEED_KMH`` (default 40 km/h). Visits without coordinates keep
their place after the routed ones."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

import vroom
from django.conf import settings

EARTH_KM = 6371.0
Point = tuple[float, float]
V = TypeVar("V")


def haversine_km(a: Point, b: Point) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


def speed_kmh() -> float:
    return float(getattr(settings, "KAM_FIELD_SPEED_KMH", 40) or 40)


def travel_matrix(points: Sequence[Point], kmh: float) -> list[list[int]]:
    """Travel seconds between every two points, straight line at ``kmh``."""
    return [[round(haversine_km(a, b) / kmh * 3600) for b in points] for a in points]


def route_order(points: Sequence[Point], *, start: Point | None = None) -> list[int]:
    """The order (indices of ``points``) that visits them all in the least travel time, from
    ``start`` (the first point when None), not returning."""
    if len(points) <= 1:
        return list(range(len(points)))
    origin = start if start is not None else points[0]
    locations = [origin, *points]
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=travel_matrix(locations, speed_kmh()))
    problem.add_vehicle(vroom.Vehicle(0, start=0, profile="car"))
    problem.add_job([vroom.Job(i, location=i) for i in range(1, len(locations))])
    # the deepest search for a day's few stops; a lighter one keeps a full week under a second
    level = 5 if len(points) <= 12 else 1
    solution = problem.solve(exploration_level=level, nb_threads=1)
    jobs = solution.routes[solution.routes["type"] == "job"]
    return [int(i) - 1 for i in jobs["id"]]


def route_minutes(
    points: Sequence[Point], order: Sequence[int], start: Point | None = None
) -> float:
    """Travel minutes along ``order`` from ``start`` (the first point of the order when None)."""
    if not order:
        return 0.0
    here = start if start is not None else points[order[0]]
    total = 0.0
    for i in order:
        total += haversine_km(here, points[i])
        here = points[i]
    return total / speed_kmh() * 60


def coordinates(unit: object) -> Point | None:
    lat, lon = getattr(unit, "latitude", None), getattr(unit, "longitude", None)
    if lat is None or lon is None:
        return None
    return (float(Decimal(lat)), float(Decimal(lon)))


def order_visits(visits: Sequence[V]) -> tuple[list[V], float | None]:
    """``visits`` (objects with ``unit``) ordered into a route; the travel minutes of it."""
    located = [(v, coordinates(getattr(v, "unit", None))) for v in visits]
    routed = [(v, p) for v, p in located if p is not None]
    rest = [v for v, p in located if p is None]
    if len(routed) < 2:
        return [v for v, _p in routed] + rest, None
    points = [p for _v, p in routed]
    order = route_order(points)
    return [routed[i][0] for i in order] + rest, route_minutes(points, order)
