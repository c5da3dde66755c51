"""FHIR view of the care offer: HealthcareService (ror-healthcareservice) and
Location (ror-location, with its capacity), after the ANS ROR guide
(``ans.fhir.fr.ror``, exposition model 3.0; shared/reference/fr-interop.md §4).
Organization is the directory's (``enrs.directory.fhir``).

What follows the guide: the element and slice of each business attribute
(specialty = activité opérationnelle TRE_R211, characteristic = mode de prise
en charge TRE_R213, niveau d'expertise…), the extension URLs read in the guide
(``ror-location-supported-capacity`` and its sub-extensions, ``ror-commune-cog``,
``ror-healthcareservice-sensitive-unit``, ``ror-meta-creation-date``).
What is ENRS's own and marked so: identifier systems (no published ENRS
namespace: ``ENRS_OFFER_IDENTIFIER_BASE``), the public sub-extension
(unconfirmed), the telehealth extension (the ROR has none we could read).
Care-offer data is public: no permission check.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location

from enrs.fhir import constants as c
from enrs.fhir import params as p
from enrs.fhir.registry import ResourceType, register
from enrs.offer.models import Capacity, Concept, Offer, Place

ROR_BASE = "https://interop.esante.gouv.fr/ig/fhir/ror"
ROR_HS_PROFILE = f"{ROR_BASE}/StructureDefinition/ror-healthcareservice"
ROR_LOCATION_PROFILE = f"{ROR_BASE}/StructureDefinition/ror-location"
EXT_CAPACITY = f"{ROR_BASE}/StructureDefinition/ror-location-supported-capacity"
EXT_COMMUNE = f"{ROR_BASE}/StructureDefinition/ror-commune-cog"
EXT_SENSITIVE = f"{ROR_BASE}/StructureDefinition/ror-healthcareservice-sensitive-unit"
EXT_CREATION = f"{ROR_BASE}/StructureDefinition/ror-meta-creation-date"
EXT_PATIENT_TYPE = f"{ROR_BASE}/StructureDefinition/ror-healthcareservice-patient-type"
PATIENT_TYPE_SUB = "patientType"  # unconfirmed: the guide's example shows only "ageRange"
EXT_TELEHEALTH = f"{c.ENRS_CANONICAL}/StructureDefinition/offre-telesante"  # ENRS extension
TRE_R13_COMMUNE = f"{c.NOS_BASE}/TRE_R13-Commune/FHIR/TRE-R13-Commune"
WEEKDAYS = {1: "mon", 2: "tue", 3: "wed", 4: "thu", 5: "fri", 6: "sat", 7: "sun"}
DAYS_TO_WEEKDAY = {code: number for number, code in WEEKDAYS.items()}
# Which characteristic slice carries which many-valued attribute.
CHARACTERISTICS = {"acts": "specificAct", "competences": "specificCompetence", "specialisations": "takingCareSpeciality",
                   "equipment": "equipment"}


def identifier_base() -> str:
    return getattr(settings, "ENRS_OFFER_IDENTIFIER_BASE", f"{c.ENRS_CANONICAL}/identifiant")


def offer_identifier_system() -> str:
    return f"{identifier_base()}/offre"


def place_identifier_system() -> str:
    return f"{identifier_base()}/lieu"


def coding(concept: Concept) -> dict:
    return {"system": concept.system.url, "code": concept.code, "display": concept.label}


def _codeable(concept: Concept) -> dict:
    return {"coding": [coding(concept)]}


# --- HealthcareService --------------------------------------------------------------------------
def _extensions(offer: Offer) -> list[dict]:
    extensions = [
        {"url": EXT_CREATION, "valueDateTime": offer.created_at},
        {"url": EXT_SENSITIVE, "valueBoolean": offer.sensitive_unit},
    ]
    publics = [{"url": PATIENT_TYPE_SUB, "valueCodeableConcept": _codeable(c)} for c in offer.publics.all()]
    if publics:
        extensions.append({"url": EXT_PATIENT_TYPE, "extension": publics})
    for item in offer.telehealth.all():
        sub = [{"url": "type", "valueCode": item.kind}, {"url": "canal", "valueCode": item.channel},
               {"url": "adresse", "valueString": item.address}]
        if item.instructions:
            sub.append({"url": "modalites", "valueString": item.instructions})
        if item.response_hours is not None:
            sub.append({"url": "delaiHeures", "valueInteger": item.response_hours})
        if item.professional_id:
            sub.append({"url": "professionnel", "valueReference": {"reference": f"Practitioner/{item.professional_id}"}})
        extensions.append({"url": EXT_TELEHEALTH, "extension": sub})
    return extensions


def _characteristics(offer: Offer) -> list[dict]:
    items = [_codeable(offer.care_mode)]
    if offer.expertise_level_id:
        items.append(_codeable(offer.expertise_level))
    for field in CHARACTERISTICS:
        items += [_codeable(concept) for concept in getattr(offer, field).all()]
    return items


def healthcare_service_resource(offer: Offer, request=None) -> HealthcareService:
    return HealthcareService.model_validate({
        "resourceType": "HealthcareService",
        "id": str(offer.pk),
        "meta": {"lastUpdated": offer.updated_at, "profile": [ROR_HS_PROFILE]},
        "extension": _extensions(offer),
        "identifier": [{"system": offer_identifier_system(), "value": offer.identifier}],
        "active": offer.active,
        "providedBy": {"reference": f"Organization/{offer.establishment_id}", "display": offer.establishment.name},
        "type": [_codeable(offer.activity_field)] if offer.activity_field_id else None,
        "specialty": [_codeable(offer.activity)],
        "location": [{"reference": f"Location/{offer.place_id}"}] if offer.place_id else None,
        "name": offer.name,
        "comment": offer.description or None,
        "characteristic": _characteristics(offer),
        "telecom": [
            point for contact in offer.contacts.all() for point in (
                [{"system": "phone", "value": contact.phone, "use": "work"}] if contact.phone else []
            ) + ([{"system": "email", "value": contact.email, "use": "work"}] if contact.email else [])
        ] or None,
        "availableTime": [
            {"daysOfWeek": [WEEKDAYS[slot.weekday]], "availableStartTime": slot.opens, "availableEndTime": slot.closes}
            for slot in offer.opening_hours.all()
        ] or None,
        "notAvailable": [
            {"description": closure.kind.label,
             "during": {"start": closure.start.isoformat(), "end": closure.planned_reopening.isoformat() if closure.planned_reopening else None}}
            for closure in offer.closures.all()
        ] or None,
    })


def offers(request=None) -> QuerySet[Offer]:
    return Offer.objects.select_related(
        "establishment", "activity__system", "care_mode__system", "expertise_level__system", "activity_field__system"
    ).prefetch_related(
        "publics__system", "acts__system", "competences__system", "specialisations__system", "equipment__system",
        "telehealth", "contacts", "opening_hours", "closures__kind",
    )


HEALTHCARE_SERVICE = ResourceType(
    name="HealthcareService",
    queryset=offers,
    to_fhir=healthcare_service_resource,
    profiles=(ROR_HS_PROFILE,),
    documentation=_("Offres opérationnelles du ROR régional (profil ror-healthcareservice)."),
    search_params=(
        p.token("identifier", p.TokenTarget("identifier", system=offer_identifier_system()),
                documentation=_("Identifiant de l'offre.")),
        p.string("name", "name", documentation=_("Nom de l'offre : début de mot, sans tenir compte des accents.")),
        p.token("specialty", p.TokenTarget("activity__code", system=f"{c.NOS_BASE}/TRE_R211-ActiviteOperationnelle/FHIR/TRE-R211-ActiviteOperationnelle"),
                documentation=_("Activité opérationnelle (TRE_R211).")),
        p.token(
            "characteristic",
            p.TokenTarget("care_mode__code", system=f"{c.NOS_BASE}/TRE_R213-ModePriseEnCharge/FHIR/TRE-R213-ModePriseEnCharge"),
            p.TokenTarget("expertise_level__code", system=f"{c.NOS_BASE}/TRE_R344-NiveauExpertise/FHIR/TRE-R344-NiveauExpertise"),
            documentation=_("Mode de prise en charge (TRE_R213) ou niveau d'expertise (TRE_R344)."),
        ),
        p.reference("organization", {"Organization": "establishment"}, documentation=_("Établissement qui porte l'offre.")),
        p.reference("location", {"Location": "place"}, documentation=_("Lieu de réalisation.")),
        p.boolean_token("active", "active", documentation=_("Offre active (true ou false).")),
    ),
    includes=(p.Include("organization", "Organization", "establishment"), p.Include("location", "Location", "place")),
    sorts={"name": ("name",)},
)


# --- Location -----------------------------------------------------------------------------------------
def capacity_extension(capacity: Capacity) -> dict:
    sub = [
        {"url": "capacityType", "valueCodeableConcept": _codeable(capacity.capacity_type)},
        {"url": "capacityStatus", "valueCodeableConcept": _codeable(capacity.status)},
        {"url": "temporalityCapacity", "valueCodeableConcept": _codeable(capacity.temporality)},
        {"url": "nbCapacity", "valueInteger": capacity.count},
        {"url": "capacitySourceType", "valueCodeableConcept": _codeable(capacity.source_type)},
        {"url": "capacityUpdateDate", "valueDateTime": capacity.updated_at},
    ]
    # temporaryAssignement is 1..1 in the guide; without a value we send our "none" code.
    assignment = capacity.temporary_assignment
    if assignment is not None:
        sub.append({"url": "temporaryAssignement", "valueCodeableConcept": _codeable(assignment)})
    for name, concept in (("genderCapacityAvailable", capacity.gender), ("crisisType", capacity.crisis_type)):
        if concept is not None:
            sub.append({"url": name, "valueCodeableConcept": _codeable(concept)})
    return {"url": EXT_CAPACITY, "extension": sub}


def location_resource(place: Place, request=None) -> Location:
    extensions = [capacity_extension(capacity) for capacity in place.capacities.all()]
    if place.commune_insee:
        extensions.insert(0, {"url": EXT_COMMUNE, "valueCodeableConcept": {
            "coding": [{"system": TRE_R13_COMMUNE, "code": place.commune_insee, "display": place.city or None}]}})
    address = {"use": "work", "line": [place.address_line] if place.address_line else None,
               "postalCode": place.postal_code or None, "city": place.city or None, "country": "FRA"}
    return Location.model_validate({
        "resourceType": "Location",
        "id": str(place.pk),
        "meta": {"lastUpdated": place.updated_at, "profile": [ROR_LOCATION_PROFILE]},
        "extension": extensions or None,
        "identifier": [{"system": place_identifier_system(), "value": place.identifier}],
        "status": "active" if place.active else "inactive",
        "name": place.name,
        "type": [_codeable(place.function)] if place.function_id else None,
        "address": address if any(v for k, v in address.items() if k not in ("use", "country")) else None,
        "position": {"latitude": place.latitude, "longitude": place.longitude} if place.latitude is not None else None,
        "managingOrganization": {"reference": f"Organization/{place.establishment_id}", "display": place.establishment.name},
    })


def places(request=None) -> QuerySet[Place]:
    return Place.objects.select_related("establishment", "function__system").prefetch_related(
        "capacities__capacity_type__system", "capacities__status__system", "capacities__temporality__system",
        "capacities__source_type__system", "capacities__temporary_assignment__system", "capacities__gender__system",
        "capacities__crisis_type__system",
    )


LOCATION = ResourceType(
    name="Location",
    queryset=places,
    to_fhir=location_resource,
    profiles=(ROR_LOCATION_PROFILE,),
    documentation=_("Lieux de réalisation des offres, avec leurs capacités en lits et places (profil ror-location)."),
    search_params=(
        p.token("identifier", p.TokenTarget("identifier", system=place_identifier_system()), documentation=_("Identifiant du lieu.")),
        p.string("name", "name", documentation=_("Nom du lieu.")),
        p.string("address-city", "city", documentation=_("Commune.")),
        p.string("address-postalcode", "postal_code", documentation=_("Code postal.")),
        p.reference("organization", {"Organization": "establishment"}, documentation=_("Établissement gestionnaire.")),
        p.token("type", p.TokenTarget("function__code", system=f"{c.NOS_BASE}/TRE_R343-FonctionLieu/FHIR/TRE-R343-FonctionLieu"),
                documentation=_("Fonction du lieu (TRE_R343).")),
    ),
    includes=(p.Include("organization", "Organization", "establishment"),),
    sorts={"name": ("name",)},
)

register(HEALTHCARE_SERVICE)
register(LOCATION)
