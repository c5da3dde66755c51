"""Notify a user: in the portal always, by e-mail and SMS on request.

The in-app notification is written in the caller's transaction, so it exists
exactly when the event that caused it does. E-mail and SMS leave only after
the commit (a rolled-back booking must not send "your appointment is
confirmed"); a delivery failure is recorded on the notification, never raised
to the caller whose work already succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import transaction
from django.utils import timezone

from enrs.core import sms as sms_gateway
from enrs.core.models import Notification

logger = logging.getLogger("enrs.notifications")


def notify(
    recipient,
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    email: bool = True,
    sms: bool = False,
    phone: str = "",
    sms_text: str = "",
) -> Notification:
    """Store a notification for ``recipient`` and schedule its e-mail/SMS copies.

    ``sms=True`` with a ``phone`` sends an SMS of ``sms_text`` (the title when
    empty): SMS are short and often read on a shared screen, so callers should
    write a dedicated text without health details.
    """
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, title=title[:200], body=body, link=link[:500]
    )
    if email and recipient.email:
        transaction.on_commit(lambda: _send_email(notification.pk))
    if sms and phone:
        text = sms_text or notification.title
        transaction.on_commit(lambda: _send_sms(notification.pk, phone, text))
    return notification


def notify_many(recipients: Iterable, **kwargs) -> list[Notification]:
    return [notify(recipient, **kwargs) for recipient in {r.pk: r for r in recipients}.values()]


def notify_bulk(items: Iterable[tuple], *, email_by_worker: bool = False) -> list[Notification]:
    """Many in-app notifications in one INSERT: ``(recipient, kind, title, body, link, email)`` tuples.

    For hot paths (a batch of chat messages): same rows and the same after-commit
    e-mails as ``notify`` (no SMS), without a round trip per notification.
    ``email_by_worker`` leaves the e-mails to the background worker (one task,
    queued as described in ``_queue_emails``): for machine feeds (HL7 ADT), whose
    acknowledgement must not wait for a mail server, at hundreds of messages a second.
    """
    items = list(items)
    rows = Notification.objects.bulk_create([
        Notification(recipient=recipient, kind=kind, title=title[:200], body=body, link=link[:500])
        for recipient, kind, title, body, link, _email in items
    ])  # fmt: skip
    emails = [
        (notification, recipient.email) for notification, (recipient, *_rest, email) in zip(rows, items, strict=True)
        if email and recipient.email and notification.pk is not None
    ]  # fmt: skip
    if emails and email_by_worker:
        _queue_emails([n.pk for n, _address in emails])
    elif emails:
        transaction.on_commit(lambda: _send_emails(emails))
    return rows


def _queue_emails(notification_ids: list[int]) -> None:
    """One task for the worker. With the database queue the task is a row of the caller's
    transaction: it exists exactly when the notifications do, and costs no commit of its
    own. Other backends may run a task at once, so they get it only after the commit."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    from enrs.core.tasks import send_notification_emails

    if isinstance(task_backends[send_notification_emails.backend], DatabaseBackend):
        send_notification_emails.enqueue(notification_ids)
    else:
        transaction.on_commit(lambda: send_notification_emails.enqueue(notification_ids))


def send_stored_emails(notification_ids: list[int]) -> int:
    """The e-mail copies of stored notifications not e-mailed yet (the worker's side of ``email_by_worker``)."""
    rows = Notification.objects.select_related("recipient").filter(pk__in=notification_ids, emailed_at__isnull=True)
    emails = [(row, row.recipient.email) for row in rows if row.recipient.email]
    if emails:
        _send_emails(emails)
    return len(emails)


def _email_body(notification: Notification) -> str:
    if not notification.link:
        return notification.body
    return f"{notification.body}\n\n{_absolute(notification.link)}".strip()


def _send_emails(emails: list[tuple[Notification, str]]) -> None:
    """The e-mails of one ``notify_bulk``: one mail connection, one UPDATE marking them sent.

    Built from the rows just inserted (no re-read). Should the batch fail, each
    e-mail is retried alone so that every failure is recorded on its own row.
    """
    messages = [EmailMessage(n.title, _email_body(n), None, [address]) for n, address in emails]
    try:
        with get_connection() as mail:
            mail.send_messages(messages)
    except Exception as error:  # noqa: BLE001 - a transport failure: one by one, each failure recorded
        logger.warning("%d notification e-mails: batch failed (%s), sent one by one", len(emails), error)
        for notification, _address in emails:
            _send_email(notification.pk)
        return
    Notification.objects.filter(pk__in=[n.pk for n, _address in emails]).update(emailed_at=timezone.now())


def _send_email(notification_id: int) -> None:
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    try:
        send_mail(notification.title, _email_body(notification), None, [notification.recipient.email])
    except Exception as error:  # noqa: BLE001 - any transport failure is recorded, not raised
        logger.warning("notification %s: e-mail failed: %s", notification_id, error)
        _record(notification_id, delivery_error=f"e-mail : {error}"[:300])
        return
    _record(notification_id, emailed_at=timezone.now())


def _send_sms(notification_id: int, phone: str, text: str) -> None:
    try:
        sms_gateway.send_sms(phone, text)
    except Exception as error:  # noqa: BLE001 - idem: the operator may be down
        logger.warning("notification %s: SMS failed: %s", notification_id, error)
        _record(notification_id, delivery_error=f"SMS : {error}"[:300])
        return
    _record(notification_id, texted_at=timezone.now())


def _record(notification_id: int, **fields) -> None:
    Notification.objects.filter(pk=notification_id).update(**fields)


def _absolute(link: str) -> str:
    from django.conf import settings

    if link.startswith(("http://", "https://")):
        return link
    return settings.ENRS_PUBLIC_URL.rstrip("/") + link


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def for_user(user):
    return Notification.objects.filter(recipient=user)


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notifications read (all when ``ids`` is None); others' are untouched."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
