"""Property tests of the French identifier validators (``enrs.core.validators``)."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, example, given
from hypothesis import strategies as st

from enrs.core import validators as v

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
METROPOLITAN = [f"{n:02d}" for n in range(1, 96) if n != 20]


@pytest.fixture(autouse=True, scope="module")
def _check_digits_on():
    """The key checks can be switched off by environment; these tests need them on."""
    saved = {name: os.environ.pop(name, None) for name in ("ENRS_CHECK_RPPS_KEY", "ENRS_CHECK_FINESS_KEY")}
    yield
    for name, value in saved.items():
        if value is not None:
            os.environ[name] = value


def _change_one_digit(number: str, position: int, replacement: str) -> str:
    return number[:position] + replacement + number[position + 1:]


# --- RPPS ----------------------------------------------------------------------------------
@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_luhn_completed_rpps_validates(prefix):
    number = v.luhn_complete(prefix)
    assert v.validate_rpps(number) == number
    assert v.validate_rpps(f"{number[:3]} {number[3:7]}.{number[7:]}") == number


@given(st.text(alphabet="0123456789", min_size=10, max_size=10), st.integers(0, 10), digits)
def test_any_single_digit_change_of_a_valid_rpps_is_rejected(prefix, position, replacement):
    number = v.luhn_complete(prefix)
    assume(number[position] != replacement)
    with pytest.raises(ValidationError) as caught:
        v.validate_rpps(_change_one_digit(number, position, replacement))
    assert caught.value.code == "rpps_key"


@pytest.mark.parametrize("bad", ["", "1234567890", "123456789012", "1000000000A"])
def test_rpps_must_have_eleven_digits(bad):
    with pytest.raises(ValidationError, match="11 chiffres"):
        v.validate_rpps(bad)


# --- FINESS ------------------------------------------------------------------------------------
@given(st.sampled_from(METROPOLITAN + ["2A", "2B"]), st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_finess_completed_with_the_departement_prefix_validates(departement, body):
    number = v.finess_complete(departement + body)
    assert len(number) == 9 and number.startswith(departement)
    assert v.validate_finess(number) == number


@given(st.sampled_from(METROPOLITAN), st.text(alphabet="0123456789", min_size=6, max_size=6),
       st.integers(0, 8), digits)
@example("14", "000010", 8, "0")
def test_any_single_digit_change_of_a_valid_finess_is_rejected(departement, body, position, replacement):
    number = v.finess_complete(departement + body)
    assume(number[position] != replacement)
    with pytest.raises(ValidationError):
        v.validate_finess(_change_one_digit(number, position, replacement))


@pytest.mark.parametrize("bad", ["14000010", "1400001000", "2C0000000", "ABCDEFGHI"])
def test_finess_format_errors_name_the_rule(bad):
    with pytest.raises(ValidationError, match="9 caractères"):
        v.validate_finess(bad)


# --- SIREN / SIRET ------------------------------------------------------------------------------------
@given(st.text(alphabet="0123456789", min_size=8, max_size=8), st.integers(0, 8), digits)
def test_siren_key_detects_single_digit_changes(prefix, position, replacement):
    siren = v.luhn_complete(prefix)
    assume(siren != "356000000")  # La Poste: its own rule
    assert v.validate_siren(siren) == siren
    assume(siren[position] != replacement)
    with pytest.raises(ValidationError, match="SIREN"):
        v.validate_siren(_change_one_digit(siren, position, replacement))


@given(st.text(alphabet="0123456789", min_size=8, max_size=8), st.text(alphabet="0123456789", min_size=4, max_size=4),
       st.integers(0, 13), digits)
def test_siret_key_detects_single_digit_changes(siren_prefix, nic, position, replacement):
    siren = v.luhn_complete(siren_prefix)
    assume(siren != "356000000")
    siret = v.luhn_complete(siren + nic)
    assert v.validate_siret(siret) == siret
    assume(siret[position] != replacement)
    with pytest.raises(ValidationError, match="SIRET"):
        v.validate_siret(_change_one_digit(siret, position, replacement))


# --- INSEE commune codes ------------------------------------------------------------------------------
@given(st.sampled_from(METROPOLITAN + ["97", "99"]), st.integers(1, 999))
def test_insee_commune_codes_of_real_departements_are_accepted(departement, number):
    code = f"{departement}{number:03d}"
    assert v.validate_insee_commune(code) == code


@pytest.mark.parametrize("code", ["2A004", "2B033", "2a004"])
def test_corsican_codes_are_accepted(code):
    assert v.validate_insee_commune(code) == code.upper()


@given(st.integers(0, 999))
def test_codes_of_departement_00_and_20_are_refused(number):
    for departement in ("00", "20"):
        with pytest.raises(ValidationError, match="n'existe pas"):
            v.validate_insee_commune(f"{departement}{number:03d}")


@pytest.mark.parametrize("code", ["1411", "141180", "2C004", "ABCDE", ""])
def test_malformed_commune_codes_are_refused(code):
    with pytest.raises(ValidationError, match="5 caractères"):
        v.validate_insee_commune(code)


def test_departement_of_overseas_codes_has_three_characters():
    assert v.departement_of("97411") == "974"
    assert v.departement_of("14118") == "14"


# --- Coordinates -------------------------------------------------------------------------------------
@given(st.floats(-90, 90), st.floats(-180, 180))
def test_coordinates_within_bounds_are_accepted(latitude, longitude):
    v.validate_wgs84(latitude, longitude)


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: abs(x) > 90), st.floats(-180, 180))
def test_latitude_out_of_bounds_is_refused(latitude, longitude):
    with pytest.raises(ValidationError, match="latitude"):
        v.validate_wgs84(latitude, longitude)


@given(st.floats(-90, 90), st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: abs(x) > 180))
def test_longitude_out_of_bounds_is_refused(latitude, longitude):
    with pytest.raises(ValidationError, match="longitude"):
        v.validate_wgs84(latitude, longitude)


def test_coordinates_go_in_pairs():
    v.validate_wgs84(None, None)
    with pytest.raises(ValidationError, match="vont ensemble"):
        v.validate_wgs84(49.18, None)


# --- MSSanté ----------------------------------------------------------------------------------------
local_parts = st.from_regex(r"\A[a-z][a-z0-9]{0,15}(\.[a-z][a-z0-9]{0,15})?\Z")
labels = st.from_regex(r"\A[a-z][a-z0-9-]{0,20}[a-z0-9]\Z")


@given(local_parts, labels)
def test_addresses_in_an_mssante_domain_are_accepted_and_lowercased(local, label):
    address = f"{local}@{label}.mssante.fr"
    assert v.validate_mssante_address(address.upper()) == address
    assert v.validate_mssante_address(f"{local}@mssante.fr") == f"{local}@mssante.fr"


@given(local_parts, labels)
def test_addresses_outside_mssante_domains_are_refused(local, label):
    with pytest.raises(ValidationError, match="domaine MSSanté"):
        v.validate_mssante_address(f"{local}@{label}.example.fr")


@pytest.mark.parametrize("bad", ["pas une adresse", "@mssante.fr", "jean@", "jean..dupont@ch.mssante.fr"])
def test_malformed_mssante_addresses_are_refused(bad):
    with pytest.raises(ValidationError, match="adresse de messagerie valide"):
        v.validate_mssante_address(bad)
