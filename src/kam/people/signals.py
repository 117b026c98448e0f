"""Any app's jobs tell the person who started them that they ended, as an in-app notification.

The jobs machinery (``kam.core.jobs.job_notify``) sends a core signal, so it needs to know nothing
of where notifications are stored.
"""

from __future__ import annotations

from django.dispatch import receiver

from kam.core.jobs import job_finished

from .services import notify


@receiver(job_finished, dispatch_uid="notify_job_finished")
def _job_finished(sender, user, message, params, link, **kwargs) -> None:
    notify(users=[user], message=message, params=params, link=link)
