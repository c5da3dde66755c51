# TEMPORARY LOCAL STUB (untracked, never committed): replaced by the lead's kernel at merge.
import hashlib
from dataclasses import dataclass
from django.core.exceptions import ValidationError
class UploadRejected(ValidationError): pass
@dataclass
class CheckedFile:
    media_type: str; size: int; sha256: str; extension: str
def check_upload(data, *, filename, allowed=None, max_bytes=None):
    from django.conf import settings
    max_bytes = max_bytes or getattr(settings, "ENRS_UPLOAD_MAX_BYTES", 20_000_000)
    if max_bytes and len(data) > max_bytes: raise UploadRejected("Fichier trop volumineux.")
    if data.startswith(b"%PDF"): return CheckedFile("application/pdf", len(data), hashlib.sha256(data).hexdigest(), ".pdf")
    if b"ClinicalDocument" in data: return CheckedFile("text/xml", len(data), hashlib.sha256(data).hexdigest(), ".xml")
    try: data.decode("utf-8")
    except UnicodeDecodeError: raise UploadRejected("Type de fichier refusé.")
    return CheckedFile("text/plain", len(data), hashlib.sha256(data).hexdigest(), ".txt")
