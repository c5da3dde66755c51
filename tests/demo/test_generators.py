"""Pure generators of the demo region: deterministic, valid, synthetic."""

from __future__ import annotations

import hashlib
import itertools

from django.core.validators import validate_email

from enrs.core import validators as v
from enrs.core.models import COLLEGES
from enrs.demo import generators as gen
from enrs.demo.personas import PERSONAS
from enrs.directory.models import Organisation
from enrs.directory.nomenclatures import PROFESSIONS


def test_same_seed_same_catalogue_other_seed_other_numbers():
    first, again, other = (gen.organisation_catalogue(seed) for seed in (2026, 2026, 7))
    assert first == again
    assert [spec.key for spec in first] == [spec.key for spec in other]
    assert {s.data.get("finess") for s in first} != {s.data.get("finess") for s in other}


def test_catalogue_numbers_are_valid_unique_and_in_the_synthetic_range():
    catalogue = gen.organisation_catalogue(2026)
    finess = [spec.data["finess"] for spec in catalogue if "finess" in spec.data]
    assert len(finess) == len(set(finess)) > 150
    for spec in catalogue:
        if "finess" in spec.data:
            number = v.validate_finess(spec.data["finess"])
            assert number[:2] == spec.departement and number[2] == "9"
        if "siret" in spec.data:
            v.validate_siret(spec.data["siret"])
        v.validate_mssante_address(spec.data["mssante_address"])
        assert spec.data["email"].endswith(".demo.enrs.invalid")
        assert len(spec.domain) <= 63


def test_catalogue_covers_every_college_and_kind_with_parents_first():
    catalogue = gen.organisation_catalogue(2026)
    assert {spec.data["college"] for spec in catalogue} == COLLEGES
    kinds = {spec.data["kind"] for spec in catalogue}
    assert set(Organisation.Kind.values) - kinds <= {"AUTRE"}
    seen: set[str] = set()
    for spec in catalogue:
        for parent in (spec.legal_entity, spec.ght):
            assert parent is None or parent in seen, f"{spec.key} refers to {parent} before it exists"
        seen.add(spec.key)
    by_key = {spec.key: spec for spec in catalogue}
    establishments = [spec for spec in catalogue if spec.legal_entity]
    assert establishments and all(by_key[s.legal_entity].data["finess_kind"] == "EJ" for s in establishments)
    ght_members = [spec for spec in catalogue if spec.ght]
    assert len(ght_members) >= 6 and all(by_key[s.ght].data["kind"] == "GHT" for s in ght_members)


def test_named_organisations_used_by_the_demo_accounts_exist():
    by_key = {spec.key: spec for spec in gen.organisation_catalogue(2026)}
    assert by_key["msp-14762"].data["name"] == "MSP du Bocage"
    assert by_key["ehpad-14047"].data["name"] == "EHPAD Les Tilleuls"
    assert by_key["dac-14"].data["name"] == "DAC 14"
    assert by_key["ch-lisieux"].data["name"] == "Centre hospitalier de Lisieux"
    for persona in PERSONAS:
        assert not persona.organisation or persona.organisation in by_key


def test_professionals_are_valid_deterministic_and_prefix_stable():
    catalogue = gen.organisation_catalogue(2026)
    keys = {spec.key for spec in catalogue}
    fifty = list(gen.professional_specs(2026, 50, catalogue))
    twenty = list(gen.professional_specs(2026, 20, catalogue))
    assert fifty[:20] == twenty
    rpps = [spec.data["rpps"] for spec in fifty]
    assert len(set(rpps)) == 50
    for spec in fifty:
        assert v.validate_rpps(spec.data["rpps"]).startswith("99")
        assert spec.data["profession_code"] in PROFESSIONS
        local, domain = spec.data["mssante_address"].split("@")
        validate_email(spec.data["mssante_address"])
        assert domain.endswith(".demo.mssante.fr") and "." in local
        assert 1 <= len(spec.situations) <= 2
        assert all(situation.organisation in keys for situation in spec.situations)
    doctors = [spec for spec in fifty if spec.data["profession_code"] == "10"]
    assert any(s.situations[0].data["specialty_code"] == "SM54" for s in doctors)


def test_persona_professionals_sit_in_their_named_organisation_with_their_own_rpps_block():
    catalogue = gen.organisation_catalogue(2026)
    personas = gen.persona_professional_specs(2026, catalogue)
    generated = {spec.data["rpps"] for spec in gen.professional_specs(2026, 300, catalogue)}
    for persona in PERSONAS:
        if persona.is_professional:
            spec = personas[persona.email]
            assert spec.situations[0].organisation == persona.organisation
            assert spec.data["rpps"].startswith("9900") and spec.data["rpps"] not in generated
    assert not any(number.startswith("9900") for number in generated)


def test_patients_have_unique_keys_valid_places_and_plausible_traits():
    patients = list(gen.patient_specs(2026, 600))
    keys = {(p["birth_name"].upper(), p["birth_first_names"], p["birth_date"]) for p in patients}
    assert len(keys) == 600
    assert list(itertools.islice(gen.patient_specs(2026, 600), 10)) == patients[:10]
    abroad = [p for p in patients if p["birth_place_insee"].startswith("99")]
    assert abroad and all(p["birth_place_insee"] in gen.FOREIGN_BIRTH_PLACES for p in abroad)
    for patient in patients:
        v.validate_insee_commune(patient["birth_place_insee"])
        v.validate_insee_commune(patient["commune_insee"])
        assert 1 <= len(patient["birth_first_names"].split(" ")) <= 3
        assert patient["birth_date"] <= gen.REFERENCE_DATE
        if patient["used_name"]:
            assert patient["sex"] == "F"
    assert {p["sex"] for p in patients} == {"F", "M"}


def test_stream_seeds_are_stable_across_processes():
    # sha256-derived, so Python's hash randomisation cannot change the region.
    assert gen.stream_seed(2026, "patients") == int(hashlib.sha256(b"2026:patients").hexdigest()[:16], 16)
    assert gen.stream_seed(2026, "patients") != gen.stream_seed(2027, "patients")
