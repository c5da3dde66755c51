"""NIR/NIA format and control key (97 − n mod 97, Corsica 2A→19, 2B→18)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.fr import nir as stdnum_nir

from enrs.core import validators as v

digits = st.text("0123456789", min_size=1, max_size=1)
departement = st.one_of(st.text("0123456789", min_size=2, max_size=2), st.sampled_from(["2A", "2B"]))


@st.composite
def first13(draw):
    return (
        draw(st.sampled_from("1278"))
        + draw(st.text("0123456789", min_size=4, max_size=4))
        + draw(departement)
        + draw(st.text("0123456789", min_size=6, max_size=6))
    )


def test_reference_keys():
    # fr-interop §1.1, recomputed from python-stdnum's test cases.
    assert v.nir_key("2951099126111") == "93"
    assert v.nir_key("253072A073004") == "43"
    assert v.nir_key("253072B073004") == "70"
    assert v.validate_nir("2 95 10 99 126 111 93") == "295109912611193"


@given(first13())
def test_key_agrees_with_stdnum_and_formula(prefix):
    key = v.nir_key(prefix)
    assert key == stdnum_nir.calc_check_digits(prefix)
    number = int(prefix.replace("2A", "19").replace("2B", "18"))
    assert int(key) == 97 - number % 97
    assert 1 <= int(key) <= 97
    assert v.validate_nir(v.nir_complete(prefix)) == prefix + key


@given(first13(), st.integers(min_value=1, max_value=96))
def test_any_other_key_is_refused(prefix, shift):
    good = int(v.nir_key(prefix))
    wrong = (good - 1 + shift) % 97 + 1
    with pytest.raises(ValidationError) as error:
        v.validate_nir(prefix + f"{wrong:02d}")
    assert error.value.code == "nir_key"


@given(first13(), st.integers(min_value=0, max_value=12), st.sampled_from("0123456789"))
def test_a_single_digit_typo_is_caught(prefix, position, digit):
    number = v.nir_complete(prefix)
    if not number[position].isdigit() or number[position] == digit or (position == 0 and digit not in "1278"):
        return
    typo = number[:position] + digit + number[position + 1:]
    assert not v.nir_is_valid(typo)


def test_corsica_codes_differ():
    assert v.nir_key("253072A073004") != v.nir_key("253072B073004")
    assert v.nir_is_valid("253072A07300443") and not v.nir_is_valid("253072A07300470")


@pytest.mark.parametrize(
    ("value", "code"),
    [("12345", "nir_length"), ("3" + "0" * 14, "nir_format"), ("1850X14118123" + "00", "nir_format"),
     ("295109912611194", "nir_key")],
)
def test_malformed_nir_has_a_french_message(value, code):
    with pytest.raises(ValidationError) as error:
        v.validate_nir(value)
    assert error.value.code == code
    assert "matricule INS" in error.value.messages[0]
