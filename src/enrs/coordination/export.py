"""The DMP-ready package: what a hospital connector needs to push a document to the national DMP.

The boundary (docs/services/coordination.md § DMP): ENRS builds the package —
a CDA R2 document whose header carries the qualified INS, the document's XDS
DocumentEntry metadata and the original content — and a connector holding the
DMP credentials (CPS / certificate, DMPi web services) submits it. ENRS never
talks to the DMP itself.

Package (ZIP): ``DOC0001.XML`` (CDA R2; for an uploaded CDA the original,
else the content wrapped in ``nonXMLBody``), ``METADATA.json`` (XDS
DocumentEntry / SubmissionSet fields), ``CONTENT.<ext>`` (original bytes).
"""

from __future__ import annotations

import io
import json
import zipfile

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.coordination import cda, codes, services
from enrs.core import permissions
from enrs.directory import selectors as directory_selectors

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "text/plain": "txt"}


def metadata(document) -> dict:
    patient = document.patient
    return {
        "documentEntry": {
            "uniqueId": document.unique_id,
            "patientId": {"root": patient.ins_oid, "extension": patient.shared_ins},
            "typeCode": {"code": document.type_code, "codeSystem": codes.LOINC, "displayName": codes.type_label(document.type_code)},
            "classCode": {"code": document.class_code, "codeSystem": codes.CLASS_SYSTEM_OID, "displayName": codes.class_label(document.class_code)},
            "confidentialityCode": [{"code": document.confidentiality, "codeSystem": codes.CONFIDENTIALITY_OID}]
            + [{"code": c, "codeSystem": codes.VISIBILITY_SYSTEM_OID} for c in document.visibility_codes],
            "formatCode": document.format_code,
            "mimeType": document.media_type,
            "title": document.title,
            "serviceStartTime": document.service_date.strftime("%Y%m%d"),
            "creationTime": timezone.localtime(document.created_at).strftime("%Y%m%d%H%M%S"),
            "hash": document.sha1,
            "size": document.size,
            "languageCode": "fr-FR",
            "author": {"name": document.author_name, "institution": document.organisation.name if document.organisation else ""},
            "replaces": document.replaces.unique_id if document.replaces_id else None,
        },
    }


def dmp_package(document, *, by, channel: str = "web", request=None) -> bytes:
    permissions.require(by, "export", document.record, channel=channel, request=request)
    if not document.patient.shared_ins:
        raise ValidationError(_("Export DMP impossible : l'identité du patient n'est pas qualifiée (INS non partageable)."))
    if document.status != document.Status.CURRENT:
        raise ValidationError(_("Seule la version en vigueur d'un document peut être exportée vers le DMP."))
    content = services.read_document(document, by=by, channel=channel, request=request)
    if document.media_type in cda.CDA_MEDIA_TYPES:
        cda.check_cda_for(document.patient, content)
        clinical = content
    else:
        professional = directory_selectors.professional_of_user(document.author)
        clinical = cda.clinical_document(document, content, rpps=professional.rpps if professional and professional.rpps else "")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("DOC0001.XML", clinical)
        archive.writestr("METADATA.json", json.dumps(metadata(document), ensure_ascii=False, indent=2))
        archive.writestr(f"CONTENT.{EXTENSIONS.get(document.media_type, 'xml')}", content)
    return buffer.getvalue()
