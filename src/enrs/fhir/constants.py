"""Versions, media types and the FR Core URIs shared by several resources."""

from __future__ import annotations

# The wire version we announce. Resources are validated with fhir.resources'
# R4B models (4.3.0): for the elements we emit, R4B and 4.0.1 are identical
# (see docs/services/fhir.md, "R4B and 4.0.1").
FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"
FHIR_JSON_CONTENT_TYPE = "application/fhir+json; charset=utf-8"

# FR Core, pinned: the version the ANS GAP and ROR guides depend on.
FR_CORE_VERSION = "2.0.1"
FR_CORE_BASE = "https://hl7.fr/ig/fhir/core"
FR_CORE_IDENTIFIER_TYPE = f"{FR_CORE_BASE}/CodeSystem/fr-core-cs-v2-0203"
FR_CORE_ORGANIZATION_TYPE = f"{FR_CORE_BASE}/CodeSystem/fr-core-cs-v2-3307"
FR_CORE_ADDRESS_INSEE_CODE = f"{FR_CORE_BASE}/StructureDefinition/fr-core-address-insee-code"
FR_CORE_EMAIL_TYPE = f"{FR_CORE_BASE}/StructureDefinition/fr-core-contact-point-email-type"

# ANS nomenclatures (NOS) used by more than one resource.
NOS_BASE = "https://mos.esante.gouv.fr/NOS"
TRE_R13_COMMUNE = f"{NOS_BASE}/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
TRE_R256_EMAIL_TYPE = f"{NOS_BASE}/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"

# Code systems ENRS defines itself. There is no published canonical for the
# platform yet; ``.invalid`` makes that visible instead of squatting a real
# domain. Change it in one place when the agency publishes one.
ENRS_CANONICAL = "https://fhir.enrs.invalid"


def fr_core_profile(name: str) -> str:
    return f"{FR_CORE_BASE}/StructureDefinition/{name}"


def enrs_code_system(name: str) -> str:
    return f"{ENRS_CANONICAL}/CodeSystem/{name}"
