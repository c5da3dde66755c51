"""Background jobs of telehealth (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from enrs.telehealth import services


@task()
def run_escalations() -> int:
    """Escalate the urgent requests whose delay ran out (enqueue it every minute)."""
    return services.run_due_escalations()
