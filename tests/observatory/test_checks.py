"""Cross-field and single-field rules of one RPU record (reference §1.3, §1.4, §2.1)."""

from __future__ import annotations

import datetime as dt

import pytest

from enrs.observatory.checks import ROW_COLUMNS, Period, RecordChecker, cim10_is_valid
from enrs.observatory.rpu import normalise_cim10, parse_datetime

from .conftest import FIRST_DAY, record


def check(**overrides):
    checker = RecordChecker(Period(FIRST_DAY, FIRST_DAY))
    row, errors = checker.check(1, record(**overrides))
    return (dict(zip(ROW_COLUMNS, row, strict=True)) if row else None), {(e.field, e.code) for e in errors}


def test_a_coherent_passage_is_accepted_with_its_stay_and_age():
    row, errors = check()
    assert errors == set()
    assert row["duree_min"] == 150
    assert row["age"] == 54
    assert row["jour"] == FIRST_DAY


@pytest.mark.parametrize(
    ("mode", "provenance", "ok"),
    [("6", "1", True), ("6", "4", True), ("6", "5", False), ("7", "2", True), ("7", "6", True), ("7", "8", False),
     ("8", "5", True), ("8", "8", True), ("8", "1", False), ("8", "7", False)],
)
def test_entry_mode_constrains_provenance(mode, provenance, ok):
    _row, errors = check(MODE_ENTREE=mode, PROVENANCE=provenance)
    assert (("PROVENANCE", "incoherence_mode_entree") not in errors) is ok


@pytest.mark.parametrize(
    ("mode", "destination", "orient", "expected"),
    [
        ("6", "1", "MED", set()),
        ("7", "4", "HDT", set()),
        ("6", "6", "MED", {("DESTINATION", "incoherence_mode_sortie")}),
        ("6", "1", "PSA", {("ORIENT", "incoherence_mode_sortie")}),
        ("8", "", "PSA", set()),
        ("8", "7", "", set()),
        ("8", "1", "", {("DESTINATION", "incoherence_mode_sortie")}),
        ("8", "", "REA", {("ORIENT", "incoherence_mode_sortie")}),
        ("9", "", "", set()),
        ("9", "", "UHCD", {("ORIENT", "incoherence_mode_sortie")}),
        ("9", "1", "", {("DESTINATION", "incoherence_mode_sortie")}),
    ],
)
def test_exit_mode_constrains_destination_and_orientation(mode, destination, orient, expected):
    _row, errors = check(MODE_SORTIE=mode, DESTINATION=destination, ORIENT=orient)
    assert {e for e in errors if e[1] == "incoherence_mode_sortie"} == expected


def test_exit_before_entry_and_stays_over_72_hours_are_quarantined():
    assert ("SORTIE", "sortie_avant_entree") in check(SORTIE="06/01/2025 09:59")[1]
    assert ("SORTIE", "duree_excessive") in check(SORTIE="09/01/2025 10:01")[1]
    row, errors = check(SORTIE="09/01/2025 10:00")
    assert errors == set() and row["duree_min"] == 72 * 60


def test_stay_across_the_autumn_clock_change_counts_real_minutes():
    checker = RecordChecker(Period(dt.date(2025, 10, 25), dt.date(2025, 10, 26)))
    row, errors = checker.check(1, record(ENTREE="26/10/2025 01:30", SORTIE="26/10/2025 03:30"))
    assert not errors
    assert dict(zip(ROW_COLUMNS, row, strict=True))["duree_min"] == 180  # 02:00–03:00 happens twice that night


@pytest.mark.parametrize(("birth", "ok"), [("06/01/2025", True), ("07/01/1905", True), ("05/01/1904", False), ("07/01/2025", False)])
def test_ages_outside_0_to_120_years_are_quarantined(birth, ok):
    assert (("NAISSANCE", "age_hors_bornes") not in check(NAISSANCE=birth)[1]) is ok


@pytest.mark.parametrize(
    ("sex", "dp", "ok"),
    [("M", "O800", False), ("F", "O800", True), ("M", "N70", False), ("F", "C61", False), ("M", "C61", True),
     ("F", "N40", False), ("I", "O800", True), ("M", "N99", True)],
)
def test_sex_specific_diagnoses(sex, dp, ok):
    assert (("DP", "diagnostic_sexe") not in check(SEXE=sex, DP=dp)[1]) is ok


def test_pregnancy_code_at_an_improbable_age_is_quarantined():
    assert ("DP", "diagnostic_age") in check(NAISSANCE="01/01/2020", DP="O800")[1]


def test_cim10_codes_are_normalised_and_their_shape_checked():
    assert normalise_cim10(" a09.9 ") == "A099"
    assert cim10_is_valid("A099") and cim10_is_valid("U0710") and cim10_is_valid("R11")
    assert not cim10_is_valid("9ZZ") and not cim10_is_valid("A9") and not cim10_is_valid("U90")
    assert ("DA", "format") in check(DA=["R509", "XX"])[1]


def test_dates_with_and_without_seconds_are_read_and_impossible_dates_refused():
    assert parse_datetime("20/03/2020 14:44:00") == dt.datetime(2020, 3, 20, 14, 44)
    assert parse_datetime("20/03/2020 14:44") == dt.datetime(2020, 3, 20, 14, 44)
    assert parse_datetime("31/02/2020 14:44") is None
    assert ("ENTREE", "format") in check(ENTREE="31/02/2025 10:00")[1]


def test_missing_entry_and_out_of_period_entry():
    rec = record()
    del rec["ENTREE"]
    _row, errors = RecordChecker(Period(FIRST_DAY, FIRST_DAY)).check(1, rec)
    assert ("ENTREE", "obligatoire") in {(e.field, e.code) for e in errors}
    assert ("ENTREE", "hors_periode") in check(ENTREE="07/01/2025 00:10", SORTIE="07/01/2025 01:00")[1]


def test_duplicate_passage_in_the_same_file():
    checker = RecordChecker(Period(FIRST_DAY, FIRST_DAY))
    assert checker.check(1, record())[1] == []
    _row, errors = checker.check(2, record())
    assert [e.code for e in errors] == ["doublon"]


def test_unknown_codes_in_coded_fields():
    errors = check(GRAVITE="7", TRANSPORT="TAXI", SEXE="X", CP="1400")[1]
    assert {("GRAVITE", "format"), ("TRANSPORT", "format"), ("SEXE", "format"), ("CP", "format")} <= errors


def test_conditional_denominators_for_destination_and_orientation():
    checker = RecordChecker(Period(FIRST_DAY, FIRST_DAY))
    checker.check(1, record(MODE_SORTIE="6", DESTINATION="1", ORIENT="MED", ENTREE="06/01/2025 10:01"))
    checker.check(2, record(MODE_SORTIE="7", DESTINATION="", ORIENT="", ENTREE="06/01/2025 10:02"))
    checker.check(3, record(MODE_SORTIE="8", ORIENT="PSA", ENTREE="06/01/2025 10:03"))
    checker.check(4, record(GRAVITE="", ENTREE="06/01/2025 10:04"))
    completeness = checker.quality.completeness()
    assert completeness["DESTINATION"] == 0.5  # 1 of the 2 hospitalised passages
    assert completeness["ORIENT"] == 0.5  # PSA at home does not count in the denominator
    assert completeness["GRAVITE"] == 0.75  # 3 of 4 records
    assert checker.quality.conformity()["ENTREE"] == 1.0


def test_cim10_codes_are_looked_up_in_the_configured_list(settings, tmp_path):
    # Shipped WHO ICD-10 2019 list: categories/subcategories must exist; ATIH extensions ride on their stem.
    assert cim10_is_valid("J189") and cim10_is_valid("S72001") and cim10_is_valid("A33") and cim10_is_valid("A330")
    assert not cim10_is_valid("A017")  # A01 has .0 to .4 only
    assert not cim10_is_valid("K359")  # removed from ICD-10 in 2016 (K35.2, K35.3, K35.8)
    assert not cim10_is_valid("A0179")  # an extension of a missing subcategory
    custom = tmp_path / "cim10.txt"
    custom.write_text("# ATIH list (excerpt)\nA01\nA01.7\n", encoding="utf-8")
    settings.ENRS_OBSERVATORY_CIM10_FILE = str(custom)
    assert cim10_is_valid("A017") and not cim10_is_valid("J189")
    settings.ENRS_OBSERVATORY_CIM10_FILE = ""  # no list: the shape check alone (fallback)
    assert cim10_is_valid("K359") and cim10_is_valid("J189") and not cim10_is_valid("U90")
    settings.ENRS_OBSERVATORY_CIM10_FILE = str(tmp_path / "missing.txt")  # unreadable: shape check, logged
    assert cim10_is_valid("K359")
