"""Argument helpers shared by ``kam score`` and ``kam backtest``."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError

from kam.identification.models import ScoringModel
from kam.identification.selectors import scoring_model_active, scoring_model_by_version


def parse_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{option}: '{value}' is not a date; use YYYY-MM-DD.") from exc


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
