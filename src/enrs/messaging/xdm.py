"""IHE XDM packaging of a document for MSSanté sending (``IHE_XDM.ZIP``).

Layout (IHE ITI TF-1 §16 "Cross-Enterprise Document Media Interchange", TF-2b §3.32.4.1,
ZIP over e-mail, TF-2x appendix T)::

    INDEX.HTM                      what the archive holds, readable in a browser
    README.TXT                     who made it, with which software
    IHE_XDM/SUBSET01/METADATA.XML  the XDS metadata (ebRIM 3.0 SubmitObjectsRequest)
    IHE_XDM/SUBSET01/DOC0001.XML   the document (DOC0001.PDF, …: the extension follows its type)

METADATA.XML holds one SubmissionSet (``RegistryPackage``), one DocumentEntry
(``ExtrinsicObject``, with ``URI``, ``hash`` SHA-1, ``size``, ``creationTime``,
``languageCode``, ``sourcePatientId``) and the ``HasMember`` association; the patient
id is the INS (matricule with its OID, ``<matricule>^^^&<oid>&ISO``) when the identity
is qualified, else the platform's local id under ``ENRS_MSSANTE_XDM_LOCAL_PATIENT_OID``.
The MSSanté client specification (ASIP "DST interfaces MSSanté des clients de
messagerie" and the Référentiel socle #2, ECO.2.4.1) asks for CDA documents sent in an
``IHE_XDM.ZIP`` attachment; what is not confirmed here is a setting
(docs/services/messaging.md lists them): when to package (``ENRS_MSSANTE_XDM``:
``cda`` by default, ``always``, ``never``), the archive's name, the OID roots, the
formatCode, and whether the document also travels as a plain attachment.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from lxml import etree

NS = {
    "lcm": "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0",
    "rim": "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0",
}
SUBSET = "IHE_XDM/SUBSET01"
# XDS identification schemes and classification nodes (ITI TF-3 §4.2.5).
DOC_ENTRY = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
DOC_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
DOC_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DOC_TYPE_CODE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
DOC_FORMAT_CODE = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
SET_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
SET_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
SET_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SET_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
EXTENSIONS = {"text/xml": "XML", "application/xml": "XML", "application/pdf": "PDF", "text/plain": "TXT",
              "image/jpeg": "JPG", "image/png": "PNG"}  # fmt: skip


@dataclass(frozen=True)
class XdmConfig:
    mode: str  # "cda" | "always" | "never"
    filename: str
    oid_root: str
    local_patient_oid: str
    format_code: tuple[str, str]  # (code, coding scheme)
    keep_original: bool


def config() -> XdmConfig:
    get = lambda name, default: getattr(settings, f"ENRS_MSSANTE_XDM{name}", default)  # noqa: E731
    # IHE's generic "the MIME type is enough" formatCode; a CI-SIS volet code is more precise when known.
    code = get("_FORMAT_CODE", ("urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3"))
    return XdmConfig(
        mode=str(get("", "cda")), filename=str(get("_FILENAME", "IHE_XDM.ZIP")),
        oid_root=str(get("_OID_ROOT", "1.2.250.1.999.1")),  # placeholder: the operator's own OID arc goes here
        local_patient_oid=str(get("_LOCAL_PATIENT_OID", "1.2.250.1.999.1.2")),
        format_code=(str(code[0]), str(code[1])), keep_original=bool(get("_KEEP_ORIGINAL", True)),
    )  # fmt: skip


def wanted(cfg: XdmConfig, *, is_cda: bool) -> bool:
    return cfg.mode == "always" or (cfg.mode == "cda" and is_cda)


def _oid_of_uuid(root: str) -> str:
    """A fresh unique OID under the configured root (the 2.25 style would also do)."""
    return f"{root}.{uuid.uuid4().int}"


def patient_id(patient, cfg: XdmConfig) -> str:
    """CX form ``id^^^&oid&ISO``: the INS of a qualified identity, else the local id."""
    if patient is None:
        return ""
    ins = patient.shared_ins
    if ins and patient.ins_oid:
        return f"{ins}^^^&{patient.ins_oid}&ISO"
    return f"{patient.pk}^^^&{cfg.local_patient_oid}&ISO"


def _slot(parent, name: str, *values: str) -> None:
    slot = etree.SubElement(parent, f"{{{NS['rim']}}}Slot", name=name)
    value_list = etree.SubElement(slot, f"{{{NS['rim']}}}ValueList")
    for value in values:
        etree.SubElement(value_list, f"{{{NS['rim']}}}Value").text = value


def _name(parent, text: str) -> None:
    name = etree.SubElement(parent, f"{{{NS['rim']}}}Name")
    etree.SubElement(name, f"{{{NS['rim']}}}LocalizedString", value=text)


def _external_id(parent, scheme: str, registry_object: str, value: str, label: str) -> None:
    ident = etree.SubElement(
        parent, f"{{{NS['rim']}}}ExternalIdentifier", id=f"urn:uuid:{uuid.uuid4()}", identificationScheme=scheme,
        registryObject=registry_object, value=value,
    )
    _name(ident, label)


def _classification(parent, scheme: str, obj: str, code: str, coding_scheme: str, label: str) -> None:
    node = etree.SubElement(
        parent, f"{{{NS['rim']}}}Classification", id=f"urn:uuid:{uuid.uuid4()}", classificationScheme=scheme,
        classifiedObject=obj, nodeRepresentation=code,
    )
    _slot(node, "codingScheme", coding_scheme)
    _name(node, label or code)


def metadata_xml(cfg: XdmConfig, *, document: bytes, media_type: str, uri: str, title: str, patient,
                 author: str, recipient: str, type_code: str = "") -> bytes:
    now = timezone.now().strftime("%Y%m%d%H%M%S")
    pid = patient_id(patient, cfg)
    root = etree.Element(f"{{{NS['lcm']}}}SubmitObjectsRequest", nsmap=NS)
    objects = etree.SubElement(root, f"{{{NS['rim']}}}RegistryObjectList")
    doc = etree.SubElement(objects, f"{{{NS['rim']}}}ExtrinsicObject", id="Document01", mimeType=media_type,
                           objectType=DOC_ENTRY)  # fmt: skip
    _slot(doc, "creationTime", now)
    _slot(doc, "hash", hashlib.sha1(document).hexdigest())  # noqa: S324 - SHA-1 is what XDS metadata specifies
    _slot(doc, "size", str(len(document)))
    _slot(doc, "languageCode", "fr-FR")
    _slot(doc, "URI", uri)
    if pid:
        _slot(doc, "sourcePatientId", pid)
    _name(doc, title)
    if type_code:
        _classification(doc, DOC_TYPE_CODE, "Document01", type_code, "2.16.840.1.113883.6.1", type_code)
    _classification(doc, DOC_FORMAT_CODE, "Document01", cfg.format_code[0], cfg.format_code[1], cfg.format_code[0])
    if pid:
        _external_id(doc, DOC_PATIENT_ID, "Document01", pid, "XDSDocumentEntry.patientId")
    _external_id(doc, DOC_UNIQUE_ID, "Document01", _oid_of_uuid(cfg.oid_root), "XDSDocumentEntry.uniqueId")
    package = etree.SubElement(objects, f"{{{NS['rim']}}}RegistryPackage", id="SubmissionSet01")
    _slot(package, "submissionTime", now)
    _slot(package, "intendedRecipient", f"|{recipient}^^^^^^^^^^^^^INTERNET")
    _slot(package, "authorPerson", author)
    _name(package, title)
    etree.SubElement(objects, f"{{{NS['rim']}}}Classification", id=f"urn:uuid:{uuid.uuid4()}",
                     classifiedObject="SubmissionSet01", classificationNode=SET_NODE)  # fmt: skip
    _external_id(package, SET_UNIQUE_ID, "SubmissionSet01", _oid_of_uuid(cfg.oid_root), "XDSSubmissionSet.uniqueId")
    _external_id(package, SET_SOURCE_ID, "SubmissionSet01", cfg.oid_root, "XDSSubmissionSet.sourceId")
    if pid:
        _external_id(package, SET_PATIENT_ID, "SubmissionSet01", pid, "XDSSubmissionSet.patientId")
    association = etree.SubElement(
        objects, f"{{{NS['rim']}}}Association", id=f"urn:uuid:{uuid.uuid4()}",
        associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember", sourceObject="SubmissionSet01",
        targetObject="Document01",
    )
    _slot(association, "SubmissionSetStatus", "Original")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def package(cfg: XdmConfig, *, document: bytes, media_type: str, filename: str, title: str, patient, author: str,
            recipient: str, type_code: str = "") -> bytes:
    """The ZIP archive (bytes) holding the document, its METADATA.XML, INDEX.HTM and README.TXT."""
    from html import escape

    uri = f"DOC0001.{EXTENSIONS.get(media_type, 'BIN')}"
    metadata = metadata_xml(cfg, document=document, media_type=media_type, uri=uri, title=title, patient=patient,
                            author=author, recipient=recipient, type_code=type_code)  # fmt: skip
    index = (
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>IHE XDM</title></head><body>"
        f"<h1>{escape(title)}</h1><p>Document : <a href=\"{SUBSET}/{uri}\">{escape(filename or uri)}</a></p>"
        f"<p>Métadonnées : <a href=\"{SUBSET}/METADATA.XML\">METADATA.XML</a></p></body></html>"
    )
    readme = (
        "Archive IHE XDM (Cross-Enterprise Document Media Interchange).\r\n"
        f"Créée par : ENRS, espace numérique régional de santé, pour {author}.\r\n"
        f"Date : {timezone.localtime().strftime('%d/%m/%Y %H:%M')}\r\n"
        f"Contenu : {SUBSET}/{uri} ({filename}) et ses métadonnées {SUBSET}/METADATA.XML.\r\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("INDEX.HTM", index.encode("utf-8"))
        archive.writestr("README.TXT", readme.encode("utf-8"))
        archive.writestr(f"{SUBSET}/METADATA.XML", metadata)
        archive.writestr(f"{SUBSET}/{uri}", document)
    return buffer.getvalue()
