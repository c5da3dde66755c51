"""FHIR view of the directory: Organization, Practitioner, PractitionerRole.

Identifiers, types and extensions follow FR Core 2.0.1 (the version the ANS
GAP and ROR guides depend on; see shared/reference/fr-interop.md §2 and
docs/services/fhir.md). Registered with ``enrs.fhir`` when the FHIR app
autodiscovers this module. Directory data is professional, not health data:
these reads do not go through the permission API (see the docs).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from enrs.core.validators import compact
from enrs.directory.models import Organisation, PracticeSituation, Professional
from enrs.directory.nomenclatures import G15_SYSTEM, R38_SYSTEM
from enrs.fhir import constants as c
from enrs.fhir import params as p
from enrs.fhir.registry import ResourceType, register

# --- Identifier systems (FR Core 2.0.1) -----------------------------------------
FINESS_SYSTEM = "https://finess.esante.gouv.fr"
IDNST_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"  # idNatSt: "1" + FINESS
SIRENE_SYSTEM = "https://sirene.fr"
IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"  # idNatPs: "8" + RPPS or "0" + ADELI
RPPS_SYSTEM = "https://rpps.esante.gouv.fr"
RPPS_OLD_SYSTEMS = ("http://rpps.fr",)  # http/https variants are equal on search anyway
ORGANISATION_KIND_SYSTEM = c.enrs_code_system("type-structure")
TRE_R66_CATEGORY = f"{c.NOS_BASE}/TRE_R66-CategorieEtablissement/FHIR/TRE-R66-CategorieEtablissement"
TRE_R21_ROLE = f"{c.NOS_BASE}/TRE_R21-Fonction/FHIR/TRE-R21-Fonction"
TRE_R23_MODE = f"{c.NOS_BASE}/TRE_R23-ModeExercice/FHIR/TRE-R23-ModeExercice"
FINESS_KIND_TYPES = {"EJ": ("LEGAL-ENTITY", "Entité juridique"), "ET": ("GEOGRAPHICAL-ENTITY", "Entité géographique")}


def _identifier(system: str, value: str, type_code: str, use: str | None = "official") -> dict:
    return {
        "use": use,
        "type": {"coding": [{"system": c.FR_CORE_IDENTIFIER_TYPE, "code": type_code}]},
        "system": system,
        "value": value,
    }


def _coding(system: str, code: str, display: str = "") -> dict:
    return {"system": system, "code": code, "display": display or None}


def _telecom(phone: str = "", email: str = "", mssante: str = "") -> list[dict]:
    points = []
    if phone:
        points.append({"system": "phone", "value": phone, "use": "work"})
    if email:
        points.append({"system": "email", "value": email, "use": "work"})
    if mssante:
        points.append(
            {
                "system": "email",
                "value": mssante,
                "use": "work",
                "extension": [{"url": c.FR_CORE_EMAIL_TYPE, "valueCoding": _coding(c.TRE_R256_EMAIL_TYPE, "MSSANTE", "MSSanté")}],
            }
        )
    return points


def _meta(obj) -> dict:
    return {"lastUpdated": obj.updated_at}


# --- Organization ---------------------------------------------------------------------


def _organisation_identifiers(org: Organisation) -> list[dict]:
    identifiers = []
    if org.finess:
        finess_type = "FINEJ" if org.finess_kind == Organisation.FinessKind.EJ else "FINEG"
        identifiers.append(_identifier(FINESS_SYSTEM, org.finess, finess_type))
        identifiers.append(_identifier(IDNST_SYSTEM, "1" + org.finess, "IDNST"))
    if org.siret:
        identifiers.append(_identifier(SIRENE_SYSTEM, org.siret, "SIRET"))
    return identifiers


def _organisation_types(org: Organisation) -> list[dict]:
    types = []
    if org.kind == Organisation.Kind.GHT:
        types.append({"coding": [_coding(c.FR_CORE_ORGANIZATION_TYPE, "GHT", "Groupement hospitalier de territoire")]})
    elif org.finess_kind in FINESS_KIND_TYPES:
        code, display = FINESS_KIND_TYPES[org.finess_kind]
        types.append({"coding": [_coding(c.FR_CORE_ORGANIZATION_TYPE, code, display)]})
    if org.category_code:
        types.append({"coding": [_coding(TRE_R66_CATEGORY, org.category_code, org.category_label)]})
    types.append({"coding": [_coding(ORGANISATION_KIND_SYSTEM, org.kind, str(org.get_kind_display()))]})
    return types


def _address(org: Organisation) -> dict | None:
    if not (org.address_line or org.postal_code or org.city or org.commune_insee):
        return None
    address = {
        "use": "work",
        "type": "both",
        "line": [org.address_line] if org.address_line else None,
        "postalCode": org.postal_code or None,
        "city": org.city or None,
        "country": "FRA",
    }
    if org.commune_insee:
        # FR Core 2.0.1 carries the COG code in an extension; later versions in
        # ``district``. Both are filled so that either reader finds it.
        address["district"] = org.commune_insee
        address["extension"] = [
            {"url": c.FR_CORE_ADDRESS_INSEE_CODE, "valueCoding": _coding(c.TRE_R13_COMMUNE, org.commune_insee, org.city)}
        ]
    return address


def organization_resource(org: Organisation, request=None) -> Organization:
    address = _address(org)
    part_of = None
    if org.legal_entity_id:
        part_of = {"reference": f"Organization/{org.legal_entity_id}", "display": org.legal_entity.name}
    return Organization.model_validate(
        {
            "resourceType": "Organization",
            "id": str(org.pk),
            "meta": _meta(org),
            "identifier": _organisation_identifiers(org) or None,
            "active": org.active,
            "type": _organisation_types(org),
            "name": org.name,
            "alias": [org.short_name] if org.short_name else None,
            "telecom": _telecom(org.phone, org.email, org.mssante_address) or None,
            "address": [address] if address else None,
            "partOf": part_of,
        }
    )


def organisations(request=None) -> QuerySet[Organisation]:
    return Organisation.objects.select_related("legal_entity")


def _finess_code(code: str):
    return compact(code)


def _finess_from_idnst(code: str):
    # idNatSt "1" + FINESS; other prefixes (ADELI rang, SIREN...) are not stored here.
    value = compact(code)
    return value[1:] if value.startswith("1") and len(value) == 10 else p.NO_MATCH


def _siret_code(code: str):
    value = compact(code)
    return value if value.isdigit() and len(value) == 14 else p.NO_MATCH


def _finess_kind_from_type(code: str):
    return {"LEGAL-ENTITY": "EJ", "GEOGRAPHICAL-ENTITY": "ET"}.get(code, p.NO_MATCH)


def _ght_from_type(code: str):
    return code if code == "GHT" else p.NO_MATCH


ORGANIZATION = ResourceType(
    name="Organization",
    queryset=organisations,
    to_fhir=organization_resource,
    profiles=(c.fr_core_profile("fr-core-organization"),),
    documentation=_("Structures de l'annuaire (entités juridiques et établissements FINESS, structures sans FINESS)."),
    search_params=(
        p.token(
            "identifier",
            p.TokenTarget("finess", system=FINESS_SYSTEM, convert=_finess_code),
            p.TokenTarget("finess", system=IDNST_SYSTEM, convert=_finess_from_idnst),
            p.TokenTarget("siret", system=SIRENE_SYSTEM, convert=_siret_code),
            documentation=_("FINESS (https://finess.esante.gouv.fr), idNatSt (urn:oid:1.2.250.1.71.4.2.2, « 1 » + FINESS) ou SIRET (https://sirene.fr)."),
        ),
        p.string("name", "name", "short_name", documentation=_("Raison sociale ou nom court : début de mot, sans tenir compte des accents ni de la casse.")),
        p.string("address", "address_line", "postal_code", "city", documentation=_("Adresse, code postal ou commune.")),
        p.string("address-city", "city", documentation=_("Commune.")),
        p.string("address-postalcode", "postal_code", documentation=_("Code postal.")),
        p.token(
            "type",
            p.TokenTarget("kind", system=ORGANISATION_KIND_SYSTEM),
            p.TokenTarget("category_code", system=TRE_R66_CATEGORY),
            p.TokenTarget("finess_kind", system=c.FR_CORE_ORGANIZATION_TYPE, convert=_finess_kind_from_type),
            p.TokenTarget("kind", system=c.FR_CORE_ORGANIZATION_TYPE, convert=_ght_from_type),
            documentation=_("Type de structure ENRS, catégorie FINESS (TRE_R66) ou type FR Core (LEGAL-ENTITY, GEOGRAPHICAL-ENTITY, GHT)."),
        ),
        p.reference("partof", {"Organization": "legal_entity"}, documentation=_("Entité juridique de rattachement.")),
        p.boolean_token("active", "active", documentation=_("Structure active (true ou false).")),
    ),
    includes=(p.Include("partof", "Organization", "legal_entity"),),
    sorts={"name": ("name",), "address-city": ("city",), "address-postalcode": ("postal_code",)},
)


# --- Practitioner -----------------------------------------------------------------------
# FR Core HumanName: civilité (M, MME) in ``prefix``, civilité d'exercice (DR, PR) in ``suffix``.
CIVILITE_PREFIXES = {Professional.Title.M: "M", Professional.Title.MME: "MME"}
EXERCICE_SUFFIXES = {Professional.Title.DR: "DR", Professional.Title.PR: "PR"}


def _practitioner_identifiers(pro: Professional) -> list[dict]:
    identifiers = [_identifier(IDNPS_SYSTEM, pro.idnat_ps, "IDNPS")]
    if pro.rpps:
        identifiers.append(_identifier(RPPS_SYSTEM, pro.rpps, "RPPS"))
    return identifiers


def practitioner_resource(pro: Professional, request=None) -> Practitioner:
    name = {
        "use": "usual",
        "family": pro.last_name,
        "given": [pro.first_name],
        "prefix": [CIVILITE_PREFIXES[pro.title]] if pro.title in CIVILITE_PREFIXES else None,
        "suffix": [EXERCICE_SUFFIXES[pro.title]] if pro.title in EXERCICE_SUFFIXES else None,
    }
    return Practitioner.model_validate(
        {
            "resourceType": "Practitioner",
            "id": str(pro.pk),
            "meta": _meta(pro),
            "identifier": _practitioner_identifiers(pro),
            "active": pro.active,
            "name": [name],
            "telecom": _telecom(mssante=pro.mssante_address) or None,
            "qualification": [
                {"code": {"coding": [_coding(G15_SYSTEM, pro.profession_code, pro.profession_label)]}}
            ],
        }
    )


def professionals(request=None) -> QuerySet[Professional]:
    return Professional.objects.all()


PRACTITIONER = ResourceType(
    name="Practitioner",
    queryset=professionals,
    to_fhir=practitioner_resource,
    profiles=(c.fr_core_profile("fr-core-practitioner"),),
    documentation=_("Professionnels de l'annuaire (RPPS ou ADELI)."),
    search_params=(
        p.token(
            "identifier",
            p.TokenTarget("idnat_ps", system=IDNPS_SYSTEM, convert=compact),
            p.TokenTarget("rpps", system=RPPS_SYSTEM, aliases=RPPS_OLD_SYSTEMS, convert=compact),
            documentation=_("idNatPs (urn:oid:1.2.250.1.71.4.2.1, « 8 » + RPPS ou « 0 » + ADELI) ou RPPS (https://rpps.esante.gouv.fr ; http://rpps.fr accepté)."),
        ),
        p.string("family", "last_name", documentation=_("Nom d'exercice.")),
        p.string("given", "first_name", documentation=_("Prénom d'exercice.")),
        p.string("name", "last_name", "first_name", documentation=_("Nom ou prénom d'exercice : chaque mot doit commencer un mot de l'un d'eux.")),
        p.boolean_token("active", "active", documentation=_("Professionnel actif (true ou false).")),
    ),
    sorts={"family": ("last_name",), "given": ("first_name",)},
)


# --- PractitionerRole ----------------------------------------------------------------------


def _role_codes(situation: PracticeSituation) -> list[dict]:
    codes = []
    if situation.role_code:
        codes.append({"coding": [_coding(TRE_R21_ROLE, situation.role_code, situation.role_label)]})
    if situation.mode:
        codes.append({"coding": [_coding(TRE_R23_MODE, situation.mode, str(situation.get_mode_display()))]})
    return codes


def practitioner_role_resource(situation: PracticeSituation, request=None) -> PractitionerRole:
    period = {"start": situation.start_date, "end": situation.end_date}
    return PractitionerRole.model_validate(
        {
            "resourceType": "PractitionerRole",
            "id": str(situation.pk),
            "meta": _meta(situation),
            "active": situation.active,
            "period": period if situation.start_date or situation.end_date else None,
            "practitioner": {
                "reference": f"Practitioner/{situation.professional_id}",
                "display": situation.professional.display_name,
            },
            "organization": {"reference": f"Organization/{situation.organisation_id}", "display": situation.organisation.name},
            "code": _role_codes(situation) or None,
            "specialty": (
                [{"coding": [_coding(R38_SYSTEM, situation.specialty_code, situation.specialty_label)]}]
                if situation.specialty_code
                else None
            ),
            "telecom": _telecom(situation.phone, situation.email) or None,
        }
    )


def situations(request=None) -> QuerySet[PracticeSituation]:
    return PracticeSituation.objects.select_related("professional", "organisation")


PRACTITIONER_ROLE = ResourceType(
    name="PractitionerRole",
    queryset=situations,
    to_fhir=practitioner_role_resource,
    profiles=(c.fr_core_profile("fr-core-practitioner-role"),),
    documentation=_("Situations d'exercice : un professionnel dans une structure."),
    search_params=(
        p.reference("practitioner", {"Practitioner": "professional"}, documentation=_("Le professionnel.")),
        p.reference("organization", {"Organization": "organisation"}, documentation=_("La structure d'exercice.")),
        p.token("specialty", p.TokenTarget("specialty_code", system=R38_SYSTEM), documentation=_("Spécialité ordinale (TRE_R38).")),
        p.token(
            "role",
            p.TokenTarget("role_code", system=TRE_R21_ROLE),
            p.TokenTarget("mode", system=TRE_R23_MODE),
            documentation=_("Fonction (TRE_R21) ou mode d'exercice (TRE_R23 : L, S, B)."),
        ),
        p.boolean_token("active", "active", documentation=_("Situation active (true ou false).")),
        p.date("date", "start_date", "end_date", documentation=_("Période d'exercice (une borne absente est ouverte).")),
    ),
    includes=(
        p.Include("practitioner", "Practitioner", "professional"),
        p.Include("organization", "Organization", "organisation"),
    ),
    sorts={"date": ("start_date",), "specialty": ("specialty_code",)},
)

register(ORGANIZATION)
register(PRACTITIONER)
register(PRACTITIONER_ROLE)
