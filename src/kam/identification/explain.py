"""Why an account is or isn't a key candidate, and why its scope, in words (translated).

Reads a score (a stored ``AccountScore`` or an engine ``ScoreResult``) and the thresholds of
its model; decides nothing itself: the rules are the engine's (``is_key_candidate``), so the
words cannot disagree with the recommendation.
"""

from __future__ import annotations

from typing import Protocol

from django.utils import formats
from django.utils.translation import gettext as _

from .engine import Thresholds, is_key_candidate
from .labels import shown


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
