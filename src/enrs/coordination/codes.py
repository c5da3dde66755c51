"""XDS / PDSm value sets used by the coordination documents (fr-interop §5).

Kept as data so that the agency can extend them; codes outside these lists
are refused on input (a wrong code would make the document unfindable).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LOINC = "http://loinc.org"
CLASS_SYSTEM_OID = "1.2.250.1.213.1.1.4.1"  # TRE_A03-ClasseDocument
VISIBILITY_SYSTEM_OID = "1.2.250.1.213.1.1.4.13"  # TRE_A07-StatutVisibiliteDocument
CONFIDENTIALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
CONFIDENTIALITY_OID = "2.16.840.1.113883.5.25"

# JDV_J07-XdsTypeCode-CISIS (LOINC part used here) → label and default class (TRE_A03).
DOCUMENT_TYPES: dict[str, tuple[str, str]] = {
    "11490-0": (_("Lettre de liaison à la sortie d'un établissement de soins"), "10"),
    "18761-7": (_("Note de transfert (lettre de liaison à l'entrée)"), "10"),
    "34112-3": (_("Compte rendu hospitalier (séjour)"), "10"),
    "11488-4": (_("Compte rendu de consultation"), "10"),
    "15507-7": (_("Compte rendu de passage aux urgences"), "10"),
    "11502-2": (_("Compte rendu d'examens biologiques"), "10"),
    "18748-4": (_("Compte rendu d'imagerie médicale"), "31"),
    "34874-8": (_("Compte rendu opératoire"), "10"),
    "57833-6": (_("Prescription de produits de santé"), "42"),
    "57832-8": (_("Prescription de soins"), "42"),
    "57828-6": (_("Prescription (autre)"), "42"),
}

DOCUMENT_CLASSES: dict[str, str] = {
    "10": _("Compte rendu"),
    "11": _("Synthèse"),
    "31": _("Imagerie médicale"),
    "42": _("Prescription"),
    "43": _("Dispensation"),
    "44": _("Plan/protocole de soins"),
    "45": _("Traitement administré"),
    "52": _("Certificat, déclaration"),
    "90": _("Document déposé par le patient"),
    "95": _("Document de gestion"),
    "99": _("Document technique"),
}

CONFIDENTIALITY: dict[str, str] = {"N": _("Normale"), "R": _("Restreinte"), "V": _("Très restreinte")}

VISIBILITY_CODES: dict[str, str] = {
    "INVISIBLE_PATIENT": _("Non visible par le patient"),
    "INVISIBLE_REPRESENTANTS_LEGAUX": _("Non visible par les représentants légaux"),
    "MASQUE_PS": _("Masqué aux professionnels de santé"),
    "MASQUE_PSOCIAL": _("Masqué aux professionnels du social"),
    "MASQUE_PT": _("Masqué aux tiers"),
}

# JDV_J10-XdsFormatCode-CISIS by media type (CDA: the letter's own format when it is a lettre de liaison).
FORMAT_BY_MEDIA = {
    "application/pdf": "urn:ihe:iti:xds-sd:pdf:2008",
    "text/plain": "urn:ihe:iti:xds-sd:text:2008",
    "image/jpeg": "urn:asipSante:modelesHorsProfils:2011",
    "image/png": "urn:asipSante:modelesHorsProfils:2011",
    "application/xml": "urn:asipSante:modelesHorsProfils:2011",
    "text/xml": "urn:asipSante:modelesHorsProfils:2011",
}
CDA_FORMATS_BY_TYPE = {"11490-0": "urn:asip:ci-sis:ldl-ses:2017", "18761-7": "urn:asip:ci-sis:ldl-ees:2017"}
CDA_MEDIA_TYPES = ("application/xml", "text/xml", "application/hl7-cda+xml")


def format_code(media_type: str, type_code: str) -> str:
    if media_type in CDA_MEDIA_TYPES and type_code in CDA_FORMATS_BY_TYPE:
        return CDA_FORMATS_BY_TYPE[type_code]
    return FORMAT_BY_MEDIA.get(media_type, "urn:asipSante:modelesHorsProfils:2011")


def type_label(code: str) -> str:
    return str(DOCUMENT_TYPES.get(code, (code, ""))[0])


def class_label(code: str) -> str:
    return str(DOCUMENT_CLASSES.get(code, code))
