"""Background tasks of the core (django-tasks; ``enrs db_worker`` runs them)."""

from __future__ import annotations

from django_tasks import task

from enrs.core import notifications


@task()
def send_notification_emails(notification_ids: list[int]) -> dict:
    """E-mail copies of notifications a machine feed stored (``notify_bulk(email_by_worker=True)``)."""
    return {"sent": notifications.send_stored_emails(notification_ids)}
