"""Check an uploaded file by its content, never by its name.

Every service that keeps a file (coordination documents, chat and request
attachments, telehealth images) calls ``check_upload`` first. The type is
sniffed from the bytes and then proven by parsing the file with the library
that reads that format: a PDF must open with pypdf, an image must pass Pillow's
verification, a CDA must be well-formed XML rooted in ``ClinicalDocument`` of
the HL7 v3 namespace, a text must decode as UTF-8. A renamed executable, a
truncated PDF or a JPEG called ``.pdf`` is refused with a French message.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
CDA = "text/xml"  # IHE XDS mimeType for CDA R2 documents
TEXT = "text/plain"
DEFAULT_ALLOWED = frozenset({PDF, PNG, JPEG, CDA, TEXT})
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg", CDA: "xml", TEXT: "txt"}
LABELS = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG", CDA: "CDA R2 (XML)", TEXT: gettext_lazy("texte")}
HL7_V3 = "urn:hl7-org:v3"


class UploadRejected(ValidationError):
    """The file is refused; ``message`` is French and names the reason."""


@dataclass(frozen=True)
class CheckedFile:
    media_type: str
    size: int
    sha256: str
    extension: str


def check_upload(data: bytes, *, filename: str = "", allowed=DEFAULT_ALLOWED, max_bytes: int | None = None) -> CheckedFile:
    """Return what ``data`` really is, or raise ``UploadRejected``."""
    limit = max_bytes if max_bytes is not None else settings.ENRS_UPLOAD_MAX_BYTES
    name = filename or _("le fichier")
    if not data:
        raise UploadRejected(_("%(name)s est vide.") % {"name": name}, code="empty")
    if len(data) > limit:
        raise UploadRejected(
            _("%(name)s dépasse la taille maximale de %(limit)s.") % {"name": name, "limit": filesizeformat(limit)},
            code="too_large",
        )
    media_type = _sniff(data)
    if media_type is None or media_type not in allowed:
        raise UploadRejected(
            _("%(name)s n'est pas d'un type accepté (%(types)s).")
            % {"name": name, "types": ", ".join(sorted(str(LABELS[t]) for t in allowed))},
            code="wrong_type",
        )
    _PROVERS[media_type](data, name)
    return CheckedFile(media_type, len(data), hashlib.sha256(data).hexdigest(), EXTENSIONS[media_type])


def _sniff(data: bytes) -> str | None:
    head = data[:1024]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"<?xml", b"<ClinicalDocument")) or b"<ClinicalDocument" in head:
        return CDA
    if b"\x00" not in data and _is_utf8(data):
        return TEXT
    return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _prove_pdf(data: bytes, name: str) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise UploadRejected(_("%(name)s est un PDF chiffré : il ne pourrait pas être lu par les destinataires.") % {"name": name}, code="encrypted")
        if len(reader.pages) == 0:
            raise UploadRejected(_("%(name)s est un PDF sans page.") % {"name": name}, code="corrupt")
        for page in reader.pages:
            page.get_contents()
    except UploadRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as error:
        raise UploadRejected(_("%(name)s est un PDF endommagé ou illisible.") % {"name": name}, code="corrupt") from error


def _prove_image(data: bytes, name: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # verify() skips the pixel data; a truncated file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise UploadRejected(_("%(name)s est une image endommagée ou illisible.") % {"name": name}, code="corrupt") from error


def _prove_cda(data: bytes, name: str) -> None:
    from lxml import etree

    # No network, no entities: an uploaded XML must not make the server fetch or expand anything.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise UploadRejected(_("%(name)s n'est pas un XML bien formé (ligne %(line)s).") % {"name": name, "line": error.lineno}, code="corrupt") from error
    if root.tag != f"{{{HL7_V3}}}ClinicalDocument":
        raise UploadRejected(_("%(name)s n'est pas un document CDA R2 (élément racine ClinicalDocument attendu).") % {"name": name}, code="wrong_type")


def _prove_text(data: bytes, name: str) -> None:
    if not _is_utf8(data):
        raise UploadRejected(_("%(name)s n'est pas un texte encodé en UTF-8.") % {"name": name}, code="corrupt")


_PROVERS = {PDF: _prove_pdf, PNG: _prove_image, JPEG: _prove_image, CDA: _prove_cda, TEXT: _prove_text}
