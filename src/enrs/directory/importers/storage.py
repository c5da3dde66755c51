"""Keeping a copy of every received file (nothing a user sends is lost)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils import timezone
from django.utils.text import get_valid_filename

CHUNK_SIZE = 1024 * 1024


def import_dir() -> Path:
    return Path(settings.ENRS_IMPORT_DIR)


def file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_SIZE):
            yield chunk


def store_copy(kind: str, file_name: str, chunks: Iterable[bytes]) -> tuple[Path, str]:
    """Write the received bytes under ``ENRS_IMPORT_DIR/<kind>/``; return the path and SHA-256."""
    directory = import_dir() / kind
    directory.mkdir(parents=True, exist_ok=True)
    try:
        safe_name = get_valid_filename(Path(file_name).name)[-120:]
    except SuspiciousFileOperation:
        safe_name = "fichier"
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    target = directory / f"{stamp}-{uuid.uuid4().hex[:8]}-{safe_name}"
    digest = hashlib.sha256()
    with open(target, "xb") as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
    return target, digest.hexdigest()
