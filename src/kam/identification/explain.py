"""Why an account is or isn't a key candidate, and why its scope, in words (translated).

Reads a score (a stored ``AccountScore`` or an engine ``ScoreResult``) and the thresholds of
its model; decides nothing itself: the rules are the engine's (``is_key_candidate``), so the
words cannot disagree with the recommendation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from django.utils import formats
from django.utils.translation import gettext as _

from . import predict
from .engine import NO_DATA, Thresholds, Weighted, is_key_candidate
from .labels import shown
from .wallet import FORECAST, OWN


class Explained(Protocol):
    """A score as the explanation reads it: an ``AccountScore`` or a ``ScoreResult``."""

    @property
    def total(self) -> float: ...
    @property
    def potential(self) -> float: ...
    @property
    def willingness(self) -> float | None: ...
    @property
    def countries(self) -> int: ...
    @property
    def regions(self) -> int: ...
    @property
    def gaps(self) -> list[str]: ...
    @property
    def breakdown(self) -> dict[str, dict]: ...


def _n(value: float) -> str:
    return formats.number_format(round(value, 1), decimal_pos=1, use_l10n=True)


def explain_recommendation(score: Explained, spec: Thresholds) -> list[str]:
    """Sentences (translated) why an account is or isn't a key candidate, and why its scope.

    ``score`` is an AccountScore or a ScoreResult; ``spec`` its scoring model (a model row or a
    ``ModelSpec``).
    """
    total = score.total
    potential = score.potential or 0.0
    willingness = score.willingness
    sentences: list[str] = []
    if total >= spec.min_score:
        sentences.append(
            _("The score of %(score)s reaches the threshold of %(threshold)s.")
            % {"score": _n(total), "threshold": _n(spec.min_score)}
        )
    else:
        sentences.append(
            _("The score of %(score)s is below the threshold of %(threshold)s.")
            % {"score": _n(total), "threshold": _n(spec.min_score)}
        )
    if potential >= spec.min_potential:
        sentences.append(
            _("Purchasing potential of %(value)s reaches the minimum of %(threshold)s.")
            % {"value": _n(potential), "threshold": _n(spec.min_potential)}
        )
    else:
        sentences.append(
            _("Purchasing potential of %(value)s is below the minimum of %(threshold)s.")
            % {"value": _n(potential), "threshold": _n(spec.min_potential)}
        )
    if willingness is None:
        sentences.append(_("Partnership willingness has not been assessed yet."))
    elif willingness >= spec.min_willingness:
        sentences.append(
            _("Partnership willingness of %(value)s reaches the minimum of %(threshold)s.")
            % {"value": _n(willingness), "threshold": _n(spec.min_willingness)}
        )
    else:
        sentences.append(
            _("Partnership willingness of %(value)s is below the minimum of %(threshold)s.")
            % {"value": _n(willingness), "threshold": _n(spec.min_willingness)}
        )
    if is_key_candidate(total, potential, willingness, spec):
        sentences.append(_("The account is therefore recommended as a key-account candidate."))
    else:
        sentences.append(_("The account therefore stays a transactional account."))

    countries, regions = score.countries, score.regions
    if countries >= spec.global_min_countries:
        sentences.append(
            _(
                "Its scope is global: it has units in %(countries)d countries "
                "(%(threshold)d or more make a global account)."
            )
            % {"countries": countries, "threshold": spec.global_min_countries}
        )
    elif regions >= spec.national_min_regions:
        sentences.append(
            _(
                "Its scope is national: it spans %(regions)d regions of one country "
                "(%(threshold)d or more make a national account) but fewer than "
                "%(countries)d countries."
            )
            % {
                "regions": regions,
                "threshold": spec.national_min_regions,
                "countries": spec.global_min_countries,
            }
        )
    else:
        sentences.append(
            _(
                "Its scope is local: countries with units: %(countries)d; regions of one "
                "country at most: %(regions)d (global needs %(need_countries)d countries, "
                "national %(need_regions)d regions)."
            )
            % {
                "countries": countries,
                "regions": regions,
                "need_countries": spec.global_min_countries,
                "need_regions": spec.national_min_regions,
            }
        )
    if score.gaps:
        names = [shown((score.breakdown.get(key) or {}).get("name", key)) for key in score.gaps]
        sentences.append(_("Data gaps counted as zero: %(gaps)s.") % {"gaps": ", ".join(names)})
    return sentences


def _pct(value: float) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{abs(int(value))} %"


def _driver_sentence(code: str, value: Any) -> str:
    if code == predict.TREND_3M:
        return _("last 3 months %(pct)s against a year ago") % {"pct": _pct(value)}
    if code == predict.TREND_12M:
        return _("last 12 months %(pct)s against the 12 before") % {"pct": _pct(value)}
    if code == predict.MONTHS_BOUGHT:
        return _("bought in %(n)d of the last 12 months") % {"n": value}
    if code == predict.SINCE_LAST:
        return _("last purchase %(n)d months ago") % {"n": value}
    if code == predict.LINES:
        return _("%(n)s product lines a month") % {"n": formats.number_format(value, 1)}
    return str(code)


def explain_expected(expected: dict[str, Any] | None, currency: str = "") -> list[str]:
    """The learned expected revenue of the next 12 months and its main drivers, in words."""
    if not expected or expected.get("value") is None:
        return []
    amount = formats.number_format(round(float(expected["value"])), 0, use_l10n=True,
                                   force_grouping=True)  # fmt: skip
    amount = f"{amount} {currency}".strip()
    if expected.get("basis") == predict.RUN_RATE:
        sentence = _(
            "Expected revenue of the next 12 months: %(amount)s (too little history to learn "
            "from: the revenue of the last 12 months)."
        ) % {"amount": amount}
    else:
        sentence = _(
            "Expected revenue of the next 12 months: %(amount)s, learned from the sales history."
        ) % {"amount": amount}
    drivers = [_driver_sentence(code, value) for code, value in expected.get("drivers") or []]
    if drivers:
        sentence += " " + _("Main drivers: %(drivers)s.") % {"drivers": "; ".join(drivers)}
    return [sentence]


def explain_left_out(left_out: dict[str, str] | None, criteria: Iterable[Weighted]) -> list[str]:
    """Why criteria took no part in the run, and where their weight went (decision 84)."""
    if not left_out:
        return []
    criteria = [c for c in criteria if float(c.weight) > 0]
    sentences = []
    for c in criteria:
        reason = left_out.get(c.key)
        if reason is None:
            continue
        others = [shown(o.name) for o in criteria if o.group == c.group and o.key not in left_out]
        moved = (
            _("its weight moved to %(names)s") % {"names": ", ".join(others)}
            if others
            else _("its group took no part, its weight moved to the other groups")
        )
        if reason == NO_DATA:
            text = _("%(name)s: no data for any account — %(moved)s.")
        else:
            text = _("%(name)s: the same value for almost every account — %(moved)s.")
        sentences.append(text % {"name": shown(c.name), "moved": moved})
    return sentences


def explain_wallet(basis: str) -> list[str]:
    """Where a floored wallet comes from and how far to trust it (decision 87)."""
    if basis == OWN:
        return [
            _(
                "The peer wallet estimate was below the account's own revenue: its own trajectory "
                "(the last 12 months at their growth rate) is used as the wallet; confidence low."
            )
        ]
    if basis == FORECAST:
        return [
            _(
                "The peer wallet estimate was below the account's own revenue: its expected "
                "revenue of the next 12 months is used as the wallet; confidence low."
            )
        ]
    return []
