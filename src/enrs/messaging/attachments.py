"""Attachments: the same content checks as documents (``enrs.core.uploads.check_upload``),
stored in ``storages["documents"]`` under ``messaging/``; refused files store nothing."""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction

from enrs.messaging.models import Attachment


def store(user, data: bytes, filename: str) -> Attachment:
    """Check ``data`` (raises ``UploadRejected`` with a French message) and keep it."""
    from enrs.core.uploads import check_upload

    checked = check_upload(data, filename=filename)
    storage = storages["documents"]
    name = storage.save(f"messaging/{uuid.uuid4().hex}{checked.extension}", ContentFile(data))
    try:
        return Attachment.objects.create(
            storage_name=name, filename=filename[-255:], media_type=checked.media_type, size=checked.size,
            sha256=checked.sha256, uploaded_by=user,
        )
    except Exception:
        storage.delete(name)
        raise


def open_file(attachment: Attachment):
    return storages["documents"].open(attachment.storage_name, "rb")


def read_bytes(attachment: Attachment) -> bytes:
    with open_file(attachment) as handle:
        return handle.read()


def discard(attachment: Attachment) -> None:
    name = attachment.storage_name
    attachment.delete()
    transaction.on_commit(lambda: storages["documents"].delete(name))


def discard_many(queryset) -> None:
    for attachment in list(queryset):
        discard(attachment)
