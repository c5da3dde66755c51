"""``enrs offer export FILE`` / ``enrs offer import FILE``: FHIR Bundles of the care offer.

The export is a ``collection`` Bundle: the establishments (directory
Organization), then each Location (with its capacities) and HealthcareService.
References inside the bundle are ``Type/id`` of the exporting server; the
import resolves them through the bundle's own entries and keys everything on
business identifiers (FINESS, place and offer identifiers), so importing a
bundle twice gives the same state, and export → import into another database
round-trips. Each entry is stored in its own transaction: a refused entry is
reported with its position and reason and stores nothing; the others go on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle

from enrs.directory import fhir as directory_fhir
from enrs.directory import services as directory_services
from enrs.offer import fhir as offer_fhir
from enrs.offer import services
from enrs.offer.models import Offer, Place

Progress = Callable[[Iterable, int, str], Iterable]
ORDER = {"Organization": 0, "Location": 1, "HealthcareService": 2}


def _no_progress(items, total, label):
    return items


# --- Export ---------------------------------------------------------------------------------------
def export_bundle(progress: Progress = _no_progress) -> dict:
    places = list(offer_fhir.places().order_by("pk"))
    offers = list(offer_fhir.offers().order_by("pk"))
    establishment_ids = {p.establishment_id for p in places} | {o.establishment_id for o in offers}
    organisations = [p.establishment for p in places] + [o.establishment for o in offers]
    unique = {org.pk: org for org in organisations if org.pk in establishment_ids}
    resources = [directory_fhir.organization_resource(org) for org in sorted(unique.values(), key=lambda o: o.pk)]
    resources += [offer_fhir.location_resource(place) for place in progress(places, len(places), _("Lieux"))]
    resources += [offer_fhir.healthcare_service_resource(offer) for offer in progress(offers, len(offers), _("Offres"))]
    bundle = Bundle.model_validate({
        "resourceType": "Bundle", "type": "collection", "timestamp": timezone.now(),
        "entry": [{"fullUrl": f"urn:enrs:{r.get_resource_type()}/{r.id}", "resource": r} for r in resources],
    })
    return json.loads(bundle.model_dump_json(exclude_none=True))


def write_export(path: Path, progress: Progress = _no_progress) -> int:
    data = export_bundle(progress)
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(data.get("entry", []))


# --- Import ----------------------------------------------------------------------------------------
@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (entry number, resource, reason)

    def add(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)


def _codes(concepts: list[dict] | None, system_suffix: str = "") -> list[str]:
    return [coding["code"] for concept in concepts or [] for coding in concept.get("coding", []) if "code" in coding]


def _code_of(concept: dict | None) -> str:
    codes = _codes([concept] if concept else [])
    return codes[0] if codes else ""


def _reference_id(reference: dict | None) -> str:
    return (reference or {}).get("reference", "").rsplit("/", 1)[-1]


def _identifier_value(resource: dict, system: str) -> str:
    for identifier in resource.get("identifier", []):
        if identifier.get("system", "").replace("http://", "https://") == system.replace("http://", "https://"):
            return identifier.get("value", "")
    return ""


def _organisation_data(resource: dict) -> dict:
    finess = _identifier_value(resource, directory_fhir.FINESS_SYSTEM)
    if not finess:
        raise ValidationError({"identifier": [_("Organization sans numéro FINESS : établissement introuvable.")]})
    address = (resource.get("address") or [{}])[0]
    kinds = [coding.get("code") for t in resource.get("type", []) for coding in t.get("coding", [])
             if coding.get("system") == directory_fhir.ORGANISATION_KIND_SYSTEM]
    types = [coding.get("code") for t in resource.get("type", []) for coding in t.get("coding", [])]
    return {
        "finess": finess, "name": resource.get("name", ""), "kind": kinds[0] if kinds else "AUTRE",
        "finess_kind": "EJ" if "LEGAL-ENTITY" in types else "ET",
        "city": address.get("city", ""), "postal_code": address.get("postalCode", ""),
        "commune_insee": address.get("district", ""), "source": "import-ror",
    }


def _capacity_rows(resource: dict) -> list[dict]:
    rows = []
    for extension in resource.get("extension", []):
        if extension.get("url") != offer_fhir.EXT_CAPACITY:
            continue
        sub = {item["url"]: item for item in extension.get("extension", [])}
        value = lambda name: _code_of(sub.get(name, {}).get("valueCodeableConcept"))  # noqa: E731
        rows.append({
            "capacity_type": value("capacityType"), "status": value("capacityStatus"), "temporality": value("temporalityCapacity"),
            "source_type": value("capacitySourceType"), "temporary_assignment": value("temporaryAssignement"),
            "gender": value("genderCapacityAvailable"), "crisis_type": value("crisisType"),
            "count": sub.get("nbCapacity", {}).get("valueInteger"), "updated_at": sub.get("capacityUpdateDate", {}).get("valueDateTime"),
        })
    return rows


def _place_data(resource: dict, finess_by_id: dict[str, str]) -> dict:
    address = resource.get("address") or {}
    position = resource.get("position") or {}
    commune = next((_code_of(e.get("valueCodeableConcept")) for e in resource.get("extension", []) if e.get("url") == offer_fhir.EXT_COMMUNE), "")
    return {
        "identifier": _identifier_value(resource, offer_fhir.place_identifier_system()), "name": resource.get("name", ""),
        "establishment": finess_by_id.get(_reference_id(resource.get("managingOrganization")), ""),
        "function": _code_of((resource.get("type") or [None])[0]), "address_line": " ".join(address.get("line", [])),
        "postal_code": address.get("postalCode", ""), "city": address.get("city", ""), "commune_insee": commune,
        "latitude": position.get("latitude"), "longitude": position.get("longitude"), "active": resource.get("status") != "inactive",
    }


def _split_characteristics(resource: dict) -> dict[str, list[str]]:
    """Characteristic codings sorted by the nomenclature they come from."""
    from enrs.offer.models import CodeSystem
    from enrs.offer.nomenclatures import ROLES

    role_by_url = {url: role for role, spec in ROLES.items() for url in CodeSystem.objects.filter(key=spec.key).values_list("url", flat=True)}
    found: dict[str, list[str]] = {}
    for concept in resource.get("characteristic", []):
        for coding in concept.get("coding", []):
            role = role_by_url.get(coding.get("system", ""), "")
            found.setdefault(role, []).append(coding.get("code", ""))
    return found


def _offer_data(resource: dict, finess_by_id: dict[str, str], place_by_id: dict[str, str]) -> dict:
    codes = _split_characteristics(resource)
    telehealth, publics = [], []
    for extension in resource.get("extension", []):
        if extension.get("url") == offer_fhir.EXT_TELEHEALTH:
            sub = {item["url"]: item for item in extension.get("extension", [])}
            telehealth.append({
                "kind": sub.get("type", {}).get("valueCode"), "channel": sub.get("canal", {}).get("valueCode"),
                "address": sub.get("adresse", {}).get("valueString", ""), "instructions": sub.get("modalites", {}).get("valueString", ""),
                "response_hours": sub.get("delaiHeures", {}).get("valueInteger"),
            })
        elif extension.get("url") == offer_fhir.EXT_PATIENT_TYPE:
            publics += [_code_of(item.get("valueCodeableConcept")) for item in extension.get("extension", []) if item.get("url") == offer_fhir.PATIENT_TYPE_SUB]
    sensitive = next((e.get("valueBoolean") for e in resource.get("extension", []) if e.get("url") == offer_fhir.EXT_SENSITIVE), False)
    return {
        "identifier": _identifier_value(resource, offer_fhir.offer_identifier_system()), "name": resource.get("name", ""),
        "description": resource.get("comment", ""),
        "establishment": finess_by_id.get(_reference_id(resource.get("providedBy")), ""),
        "place": place_by_id.get(_reference_id((resource.get("location") or [None])[0]), ""),
        "activity_field": _code_of((resource.get("type") or [None])[0]),
        "activity": _code_of((resource.get("specialty") or [None])[0]),
        "care_mode": (codes.get("care_mode") or [""])[0], "expertise_level": (codes.get("expertise_level") or [""])[0],
        "acts": codes.get("act", []), "competences": codes.get("competence", []),
        "specialisations": codes.get("specialisation", []), "equipment": codes.get("equipment", []),
        "publics": publics, "telehealth": telehealth, "sensitive_unit": bool(sensitive), "active": resource.get("active", True),
        "opening_hours": [
            {"weekday": offer_fhir.DAYS_TO_WEEKDAY.get(day), "opens": slot.get("availableStartTime"), "closes": slot.get("availableEndTime")}
            for slot in resource.get("availableTime", []) for day in slot.get("daysOfWeek", [])
        ],
    }


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{name} : {' '.join(items)}" for name, items in getattr(exc, "message_dict", {"": exc.messages}).items())
    return str(exc)


def read_bundle(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(_("Fichier illisible ou JSON invalide : %(reason)s") % {"reason": exc}) from exc
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle" or not isinstance(data.get("entry", []), list):
        raise ValidationError(_("Le fichier doit contenir une ressource FHIR Bundle."))
    return data


def import_bundle(data: dict, progress: Progress = _no_progress) -> ImportReport:
    report = ImportReport()
    entries = [(index, entry.get("resource") or {}) for index, entry in enumerate(data.get("entry", []), start=1) if isinstance(entry, dict)]
    entries.sort(key=lambda item: ORDER.get(item[1].get("resourceType"), 9))
    finess_by_id: dict[str, str] = {}
    place_by_id: dict[str, str] = {}
    for index, resource in progress(entries, len(entries), _("Ressources")):
        kind = resource.get("resourceType", "?")
        try:
            _validate(resource)
            with transaction.atomic():
                status = _import_one(kind, resource, finess_by_id, place_by_id)
        except (ValidationError, ValueError, TypeError, KeyError) as exc:
            report.rejected.append((index, kind, _message(exc)))
            continue
        report.add(status)
    return report


def _validate(resource: dict) -> None:
    from fhir.resources.R4B import get_fhir_model_class

    kind = resource.get("resourceType")
    if kind not in ORDER:
        raise ValidationError(_("Type de ressource non pris en charge : %(type)s.") % {"type": kind})
    try:
        get_fhir_model_class(kind).model_validate(resource)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationError(_("Ressource invalide (%(path)s).") % {"path": ".".join(str(p) for p in first.get("loc", ()))}) from exc


def _import_one(kind: str, resource: dict, finess_by_id: dict[str, str], place_by_id: dict[str, str]) -> str:
    if kind == "Organization":
        data = _organisation_data(resource)
        existing = directory_services.find_organisation(finess=data["finess"])
        status = "unchanged"
        if existing is None:
            status = directory_services.upsert_organisation(data).status
        finess_by_id[resource.get("id", "")] = data["finess"]
        return status
    if kind == "Location":
        data = _place_data(resource, finess_by_id)
        result = services.upsert_place(data)
        place_by_id[resource.get("id", "")] = result.obj.identifier
        capacity_results = services.update_capacities(result.obj, _capacity_rows(resource), channel="import") if _capacity_rows(resource) else []
        changed = any(r.status != "unchanged" for r in capacity_results)
        return "updated" if result.status == "unchanged" and changed else result.status
    return services.upsert_offer(_offer_data(resource, finess_by_id, place_by_id)).status


def counts() -> dict[str, int]:
    return {"places": Place.objects.count(), "offers": Offer.objects.count()}


def as_rows(report: ImportReport) -> list[str]:
    return [_("entrée %(n)d (%(type)s) : %(reason)s") % {"n": n, "type": t, "reason": r} for n, t, r in report.rejected]


def summary(report: ImportReport) -> dict[str, Any]:
    return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged, "rejected": len(report.rejected)}
