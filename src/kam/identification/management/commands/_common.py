"""Argument helpers shared by ``kam score`` and ``kam backtest``."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone

from kam.identification.models import ScoringModel
from kam.identification.selectors import scoring_model_active, scoring_model_by_version


def parse_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{option}: '{value}' is not a date; use YYYY-MM-DD.") from exc
    if day > timezone.localdate():
        raise CommandError(f"{option}: {day} is in the future; scoring uses data up to a day.")
    return day


def pick_model(version: int | None) -> ScoringModel:
    if version is not None:
        model = scoring_model_by_version(version=version)
        if model is None:
            raise CommandError(f"--model: there is no scoring model version {version}.")
        return model
    model = scoring_model_active()
    if model is None:
        raise CommandError("No scoring model is active; activate one in the admin first.")
    return model
