"""The anchored 0–10 scale of partnership willingness (PRODUCT §3, relational criteria).

Shown next to the willingness field on the account's inputs page so that two raters who know the
same facts give the same score: each even score names what one can observe at the customer.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

WILLINGNESS_ANCHORS: tuple[tuple[int, Promise], ...] = (
    (
        0,
        _(
            "Refuses any closer relationship: buys by tender or on price alone and treats us "
            "as an interchangeable vendor."
        ),
    ),
    (
        2,
        _("Transactional: talks to us only through purchasing; shares nothing beyond the orders."),
    ),
    (
        4,
        _(
            "Open to talk: shares forecasts or plans when asked; meets us now and then beyond "
            "purchasing."
        ),
    ),
    (
        6,
        _(
            "Interested: a senior contact has asked for joint work or a longer agreement; "
            "plans are shared regularly."
        ),
    ),
    (
        8,
        _(
            "Committed: a joint initiative is running or agreed, a sponsor on their side is "
            "named, a multi-year agreement is being negotiated."
        ),
    ),
    (
        10,
        _(
            "Strategic partner: sponsors on both sides, a joint plan with shared goals, a "
            "multi-year agreement signed, key data shared openly."
        ),
    ),
)
"""Odd scores lie between their neighbours: the customer shows some of the next anchor."""
