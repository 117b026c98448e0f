"""Background task of health (run by ``kam worker``): the nightly recompute for time decay."""

from __future__ import annotations

from django_tasks import task

from .services import health_refresh


@task()
def health_refresh_task() -> int:
    """Recompute every account's health as of today; returns the number of accounts."""
    return health_refresh(everything=True)
