"""CDA R2: the INS check of uploaded CDA documents, and the header of the DMP-ready export.

A CDA uploaded into a record must carry the patient's INS in
``recordTarget/patientRole/id`` (root = an INS OID, fr-interop §1.3): a CDA
without INS — or with another patient's INS — is refused.
"""

from __future__ import annotations

import base64
import datetime
import uuid

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from enrs.coordination import codes
from enrs.identity.models import OID_NIA, OID_NIR, OID_NIR_DEMO, OID_NIR_TEST

HL7 = "urn:hl7-org:v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS = {"hl7": HL7}
INS_OIDS = (OID_NIR, OID_NIA, OID_NIR_TEST, OID_NIR_DEMO)
CDA_MEDIA_TYPES = codes.CDA_MEDIA_TYPES
RPPS_OID = "1.2.250.1.71.4.2.1"
FINESS_OID = "1.2.250.1.71.4.2.2"
TEMPLATE_STRUCTURED_MINIMAL = "1.2.250.1.213.1.1.1.1"  # CI-SIS "CDA structuré minimal" header template (unconfirmed)


def _parse(data: bytes):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ValidationError({"file": [_("Document CDA illisible : %(error)s.") % {"error": str(exc)[:200]}]}) from exc


def ins_of(data: bytes) -> tuple[str, str] | None:
    """(OID, matricule) of the INS in the CDA header, or None."""
    root = _parse(data)
    for identifier in root.iterfind("hl7:recordTarget/hl7:patientRole/hl7:id", NS):
        if identifier.get("root") in INS_OIDS and identifier.get("extension"):
            return identifier.get("root"), identifier.get("extension")
    return None


def check_cda_for(patient, data: bytes) -> None:
    found = ins_of(data)
    if found is None:
        raise ValidationError({"file": [_(
            "Document CDA sans INS : l'en-tête doit porter le matricule INS du patient (recordTarget/patientRole/id).")]})
    if patient.ins_matricule and found[1] != patient.ins_matricule:
        raise ValidationError({"file": [_("Le matricule INS du document CDA n'est pas celui de ce patient.")]})


def _el(parent, tag: str, **attrs):
    element = etree.SubElement(parent, f"{{{HL7}}}{tag}")
    for key, value in attrs.items():
        element.set(key, str(value))
    return element


def _ts(moment) -> str:
    if isinstance(moment, datetime.datetime):
        return timezone.localtime(moment).strftime("%Y%m%d%H%M%S%z")
    return moment.strftime("%Y%m%d")


def _patient(parent, patient) -> None:
    role = _el(_el(parent, "recordTarget"), "patientRole")
    _el(role, "id", root=patient.ins_oid, extension=patient.shared_ins)
    person = _el(role, "patient")
    name = _el(person, "name")
    _el(name, "family", qualifier="BR").text = patient.birth_name
    for given in patient.first_names:
        _el(name, "given").text = given
    _el(person, "administrativeGenderCode", code=patient.sex, codeSystem="2.16.840.1.113883.5.1")
    _el(person, "birthTime", value=patient.birth_date.strftime("%Y%m%d"))


def _author(parent, document, rpps: str) -> None:
    author = _el(parent, "author")
    _el(author, "time", value=_ts(document.created_at))
    assigned = _el(author, "assignedAuthor")
    _el(assigned, "id", root=RPPS_OID, extension=f"8{rpps}" if rpps else "")
    name = _el(_el(assigned, "assignedPerson"), "name")
    name.text = document.author_name
    if document.organisation is not None:
        org = _el(assigned, "representedOrganization")
        _el(org, "id", root=FINESS_OID, extension=document.organisation.finess or "")
        _el(org, "name").text = document.organisation.name


def clinical_document(document, content: bytes, *, rpps: str = "") -> bytes:
    """A CDA R2 ``ClinicalDocument`` whose header carries the INS and the XDS metadata,
    wrapping the stored content in ``nonXMLBody`` (base64)."""
    patient = document.patient
    root = etree.Element(f"{{{HL7}}}ClinicalDocument", nsmap={None: HL7, "xsi": XSI})
    _el(root, "realmCode", code="FR")
    _el(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    _el(root, "templateId", root=TEMPLATE_STRUCTURED_MINIMAL)
    _el(root, "id", root=document.unique_id)
    _el(root, "code", code=document.type_code, codeSystem="2.16.840.1.113883.6.1", displayName=codes.type_label(document.type_code))
    _el(root, "title").text = document.title
    _el(root, "effectiveTime", value=_ts(document.created_at))
    _el(root, "confidentialityCode", code=document.confidentiality, codeSystem=codes.CONFIDENTIALITY_OID)
    _el(root, "languageCode", code="fr-FR")
    _el(root, "setId", root=(document.replaces.unique_id if document.replaces_id else document.unique_id))
    _el(root, "versionNumber", value=document.version)
    _patient(root, patient)
    _author(root, document, rpps)
    custodian = _el(_el(_el(root, "custodian"), "assignedCustodian"), "representedCustodianOrganization")
    _el(custodian, "id", root="1.2.250.1.213.4.1", extension=str(uuid.uuid5(uuid.NAMESPACE_URL, "enrs")))
    _el(custodian, "name").text = "ENRS"
    service = _el(_el(root, "documentationOf"), "serviceEvent")
    time = _el(service, "effectiveTime")
    _el(time, "low", value=_ts(document.service_date))
    body = _el(_el(root, "component"), "nonXMLBody")
    text = _el(body, "text", mediaType=document.media_type, representation="B64")
    text.text = base64.b64encode(content).decode("ascii")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
