"""Background tasks of the coordination record (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from enrs.coordination import services


@task()
def alert_overdue_tasks() -> dict:
    """Alert the care teams about overdue tasks and pathway steps (each task once); schedule it daily."""
    return {"notifications": services.notify_overdue_tasks()}
