"""Background tasks of identification (run by ``kam worker`` / django-tasks' db_worker)."""

from __future__ import annotations

from django_tasks import task

from .models import RunStatus, ScoringRun
from .services import scoring_run_execute


@task()
def score_portfolio_task(run_id: int) -> int:
    """Execute a queued scoring run; returns the number of accounts scored."""
    run = ScoringRun.objects.select_related("model").get(pk=run_id)
    if run.status != RunStatus.QUEUED:  # a task put back in the queue after its worker died
        return run.accounts_count
    run = scoring_run_execute(model=run.model, as_of=run.as_of, run=run)
    return run.accounts_count
