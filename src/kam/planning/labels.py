"""The texts the plan templates are seeded with (migration 0002) are English message ids,
translated when a plan is created from a template, in its creator's language (decision 56).

A text someone typed into a template is not in the catalogue and is copied as typed.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

SEEDED_LABELS = (
    gettext_noop("Invest: build a partnership or synergistic relationship."),
    gettext_noop(
        "Become the customer's partner of choice: grow with them across units and product lines."
    ),
    # xgettext:no-python-format
    gettext_noop("Grow revenue by 15 %"),
    gettext_noop("Reach half of the customer's wallet"),
    gettext_noop("Become the primary supplier"),
    gettext_noop("Win more opportunities"),
    gettext_noop("Invest selectively to build our position."),
    gettext_noop("Build our position at an attractive customer where a competitor leads today."),
    gettext_noop("Gain 10 points of share of wallet"),
    gettext_noop("Become a preferred supplier"),
    # xgettext:no-python-format
    gettext_noop("Grow revenue by 20 %"),
    gettext_noop("Maintain efficiently."),
    gettext_noop("Keep our strong position at a reasonable cost to serve."),
    gettext_noop("Keep revenue"),
    gettext_noop("Keep the margin"),
    gettext_noop("Reduce the cost to serve."),
    gettext_noop("Serve the customer profitably with less effort."),
    gettext_noop("Improve the margin by 2 points"),
)


def shown(text: str | None) -> str:
    """A stored template text in the active language when the catalogue has it, else as stored."""
    return gettext(text) if text else ""
