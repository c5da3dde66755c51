"""FHIR resources of the care offer, and export → import round trips (idempotent)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from enrs.offer import fhir as offer_fhir
from enrs.offer import interchange, services
from enrs.offer.models import Capacity, CodeSystem, Offer, OfferTerm, Place


def _snapshot():
    offers = {
        o.identifier: (o.name, o.activity.code, o.care_mode.code, o.establishment.finess, o.place.identifier if o.place else "",
                       sorted(c.code for c in o.publics.all()), sorted(c.code for c in o.specialisations.all()),
                       sorted(c.code for c in o.equipment.all()), sorted((t.kind, t.channel, t.address) for t in o.telehealth.all()),
                       sorted(OfferTerm.objects.filter(offer=o).values_list("term", flat=True)), o.latitude, o.longitude)
        for o in Offer.objects.all()
    }
    places = {p.identifier: (p.name, p.commune_insee, p.latitude, p.longitude, p.establishment.finess) for p in Place.objects.all()}
    capacities = sorted((c.place.identifier, c.capacity_type.code, c.status.code, c.count, c.updated_at) for c in Capacity.objects.all())
    return offers, places, capacities


@pytest.mark.django_db
def test_resources_carry_the_ror_elements(region):
    place = region["places"]["caen"]
    services.update_capacity(place, {"capacity_type": "01", "status": "02", "count": 7, "source_type": "SAISIE"})
    location = offer_fhir.location_resource(offer_fhir.places().get(pk=place.pk)).model_dump(mode="json")
    capacity = next(e for e in location["extension"] if e["url"] == offer_fhir.EXT_CAPACITY)
    sub = {item["url"]: item for item in capacity["extension"]}
    assert sub["nbCapacity"]["valueInteger"] == 7
    assert sub["capacityStatus"]["valueCodeableConcept"]["coding"][0]["code"] == "02"
    assert location["position"] == {"latitude": 49.1829, "longitude": -0.3707}
    offer = offer_fhir.offers().get(identifier="OFF-DOUL-CAEN")
    service = offer_fhir.healthcare_service_resource(offer).model_dump(mode="json")
    assert service["specialty"][0]["coding"][0] == {
        "system": "https://mos.esante.gouv.fr/NOS/TRE_R211-ActiviteOperationnelle/FHIR/TRE-R211-ActiviteOperationnelle",
        "code": "004", "display": "Algologie et Médecine de la douleur"}
    assert service["characteristic"][0]["coding"][0]["code"] == "20"
    assert service["providedBy"]["reference"] == f"Organization/{offer.establishment_id}"


@pytest.mark.django_db
def test_fhir_search_by_activity_and_care_mode(region, client):
    url = "/fhir/HealthcareService?specialty=https://mos.esante.gouv.fr/NOS/TRE_R211-ActiviteOperationnelle/FHIR/TRE-R211-ActiviteOperationnelle|004"
    body = client.get(url).json()
    assert body["resourceType"] == "Bundle" and body["total"] == 3
    body = client.get("/fhir/HealthcareService?characteristic=28&_include=HealthcareService:location").json()
    kinds = sorted(entry["resource"]["resourceType"] for entry in body["entry"])
    assert kinds == ["HealthcareService", "Location"]
    assert client.get("/fhir/Location?address-city=rouen").json()["total"] == 1


@pytest.mark.django_db
def test_export_import_round_trip_and_idempotence(region, tmp_path, django_db_blocker):
    services.update_capacity(region["places"]["caen"], {"capacity_type": "01", "status": "02", "count": 4, "source_type": "SAISIE"})
    services.upsert_offer({"identifier": "OFF-DOUL-CAEN", "name": "Consultation douleur chronique", "establishment": region["establishments"]["caen"],
                           "place": "LIEU-caen", "activity": "004", "care_mode": "20", "publics": ["07", "09"],
                           "specialisations": ["DOUL-CHRON"], "opening_hours": [{"weekday": 1, "opens": "08:30", "closes": "17:00"}],
                           "telehealth": [{"kind": "teleexpertise", "channel": "plateforme", "address": "https://telemedecine.example.invalid/douleur",
                                           "instructions": "Joindre le dernier compte rendu.", "response_hours": 72}]})
    before = _snapshot()
    path = tmp_path / "ror.json"
    call_command("offer", "export", str(path), verbosity=0, stdout=StringIO())
    # Wipe the offer side, then import: the same state comes back.
    Offer.objects.all().delete()
    Place.objects.all().delete()
    out = StringIO()
    call_command("offer", "import", str(path), verbosity=0, stdout=out, stderr=StringIO())
    assert "rejetées : 0" in out.getvalue()
    assert _snapshot() == before
    # Twice: nothing changes.
    report = interchange.import_bundle(interchange.read_bundle(path))
    assert report.created == 0 and report.updated == 0 and not report.rejected and report.unchanged > 0
    assert _snapshot() == before


@pytest.mark.django_db
def test_import_reports_bad_entries_and_keeps_the_good(region, tmp_path):
    data = interchange.export_bundle()
    service = next(e for e in data["entry"] if e["resource"]["resourceType"] == "HealthcareService")
    service["resource"]["specialty"][0]["coding"][0]["code"] = "999"
    data["entry"].append({"resource": {"resourceType": "Patient", "id": "1"}})
    Offer.objects.filter(identifier=service["resource"]["identifier"][0]["value"]).delete()
    report = interchange.import_bundle(data)
    reasons = " ".join(reason for _n, _t, reason in report.rejected)
    assert len(report.rejected) == 2 and "999" in reasons and "activité opérationnelle" in reasons and "Patient" in reasons
    assert not Offer.objects.filter(identifier=service["resource"]["identifier"][0]["value"]).exists()


@pytest.mark.django_db
def test_load_nomenclature_replaces_a_subset_and_rejects_bad_files(region, tmp_path):
    full = json.loads((services.nomenclatures.DATA_DIR / "TRE_R213.json").read_text(encoding="utf-8"))
    full["version"], full["content"] = "20260101120000", "complete"
    full["concept"] = [c for c in full["concept"] if c["code"] != "09"] + [{"code": "46", "display": "Mode ajouté"}]
    path = tmp_path / "r213.json"
    path.write_text(json.dumps(full), encoding="utf-8")
    out = StringIO()
    call_command("offer", "load-nomenclature", str(path), stdout=out)
    system = CodeSystem.objects.get(key="TRE_R213")
    assert system.version == "20260101120000" and not system.subset
    assert system.concepts.get(code="09").active is False and system.concepts.get(code="46").active
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"resourceType": "CodeSystem", "name": "X", "concept": [{"code": "1"}, {"code": "1"}]}), encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("offer", "load-nomenclature", str(bad), stdout=StringIO())
    assert "url" in str(info.value) and "double" in str(info.value)
