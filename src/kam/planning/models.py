"""Tables of the account profile and the account plan."""

from __future__ import annotations

# the account profile's tables live in their own module (kam.planning.profile)
from .profile.models import BuyingProcess, CustomerGoal, GoalKind

__all__ = ["BuyingProcess", "CustomerGoal", "GoalKind"]
