"""The coordination feed's source registry: apps above the teams app add kinds of events.

The teams app owns the feed (interactions, requests, notes, team changes); an app that the feed
must not import, or that is optional, registers a source in its ``AppConfig.ready``::

    from kam.core.feed import register_feed_source

    register_feed_source("actions", plan_action_events)

A source is called as ``source(account_ids, unit, limit)`` and answers at most ``limit``
:class:`FeedEvent` rows of those accounts (of the subtree of ``unit`` when given), newest
first, in a bounded number of queries whatever the number of accounts (decision 103).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class FeedEvent:
    at: dt.datetime
    account_id: int
    unit_id: int | None
    actor: Any  # a User or None
    text: str
    link: str = ""
    obj: Any = None


FeedSource = Callable[[Sequence[int], Any, int], list[FeedEvent]]

sources: dict[str, FeedSource] = {}


def register_feed_source(kind: str, source: FeedSource) -> None:
    """Add (or replace) the source of one kind of feed event."""
    sources[kind] = source


def feed_source(kind: str) -> FeedSource | None:
    return sources.get(kind)
