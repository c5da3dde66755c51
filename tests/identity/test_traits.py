"""Strict traits: French errors naming the trait, impossible dates, unknown INSEE codes, nothing stored."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from enrs.core.validators import nir_complete
from enrs.identity import services
from enrs.identity.models import IdentityHistory, LocalIdentifier, Patient

from .conftest import traits

pytestmark = pytest.mark.django_db


def _errors(**overrides) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        services.create_identity(traits(**overrides), actor=None, channel="hl7", local_ids=[("CH-TEST", "1")])
    assert Patient.objects.count() == 0 and LocalIdentifier.objects.count() == 0
    assert IdentityHistory.objects.count() == 0
    return error.value.message_dict


@pytest.mark.parametrize(
    ("field", "label"),
    [("birth_name", "nom de naissance"), ("birth_first_names", "prénoms de naissance"),
     ("birth_date", "date de naissance"), ("birth_place_insee", "lieu de naissance")],
)
def test_empty_strict_trait_names_the_trait(field, label):
    errors = _errors(**{field: "" if field != "birth_first_names" else []})
    assert list(errors) == [field]
    assert label in errors[field][0] and "obligatoire" in errors[field][0]


def test_every_empty_trait_is_reported_at_once():
    errors = _errors(birth_name=" ", birth_first_names=[], birth_date="", sex="", birth_place_insee="")
    assert set(errors) == {"birth_name", "birth_first_names", "birth_date", "sex", "birth_place_insee"}
    assert "sexe" in errors["sex"][0]


@pytest.mark.parametrize(
    ("value", "words"),
    [("1950-02-31", "n'existe pas"), ("2023-02-29", "n'existe pas"), ("1950-13-01", "n'existe pas"),
     ("02/03/1950", "format"), ("1950-00-12", "mois inconnu"), ("1700-01-01", "plausible")],
)
def test_impossible_birth_dates(value, words):
    assert words in _errors(birth_date=value)["birth_date"][0]


def test_future_birth_dates_are_refused_even_partial():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert "futur" in _errors(birth_date=tomorrow.isoformat())["birth_date"][0]
    assert "futur" in _errors(birth_date=tomorrow)["birth_date"][0]
    next_year = timezone.localdate().year + 1
    assert "futur" in _errors(birth_date=f"{next_year}-00-00")["birth_date"][0]


def test_leap_day_is_a_real_date():
    outcome = services.create_identity(traits(birth_date="2024-02-29"), actor=None, channel="web")
    assert outcome.patient.birth_date == dt.date(2024, 2, 29)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("1950-00-00", dt.date(1950, 1, 1), dt.date(1950, 12, 31)),
    ("1950-02-00", dt.date(1950, 2, 1), dt.date(1950, 2, 28)),
])
def test_partly_unknown_birth_date_keeps_its_00_and_follows_the_configured_rule(text, first, last):
    outcome = services.create_identity(traits(birth_date=text), actor=None, channel="web")
    patient = Patient.objects.get(pk=outcome.patient.pk)
    assert patient.birth_date_text == text and patient.birth_date_display == text
    assert patient.birth_date == first
    with override_settings(ENRS_IDENTITY_PARTIAL_BIRTH_DATE="last"):
        assert services.parse_birth_date(text) == (last, text)


def test_unknown_insee_codes_are_refused_honestly():
    assert "inconnu du code officiel géographique" in _errors(birth_place_insee="14999")["birth_place_insee"][0]
    assert "5 caractères" in _errors(birth_place_insee="ABCDE")["birth_place_insee"][0]
    assert "inconnu" in _errors(birth_place_insee="99999")["birth_place_insee"][0]


def test_known_places_communes_corsica_and_countries():
    for code in ("14118", "2A004", "99350", "97411"):
        services.clean_traits(traits(birth_place_insee=code))


def test_names_with_digits_or_symbols_are_refused():
    errors = _errors(birth_name="DUP0NT", used_name="<script>", birth_first_names=["Jean", "M@rc"])
    assert "lettres" in errors["birth_name"][0] and "lettres" in errors["used_name"][0]
    assert "M@rc" in errors["birth_first_names"][0]


def test_french_names_are_accepted_and_first_names_keep_their_order():
    outcome = services.create_identity(
        traits(birth_name="de  l'Épine-Dupont", birth_first_names=["Anne-Laure", "Zoé", "Ève"]), actor=None, channel="web"
    )
    assert outcome.patient.birth_name == "DE L'ÉPINE-DUPONT"
    assert outcome.patient.first_names == ["Anne-Laure", "Zoé", "Ève"]


def test_bad_ins_and_oid():
    errors = _errors(ins="295109912611194", ins_oid="1.2.3")
    assert "clé de contrôle" in errors["ins"][0] and "OID" in errors["ins_oid"][0]
    assert "OID" in _errors(ins=nir_complete("2500314118123"), ins_oid="")["ins_oid"][0]
    assert "sans matricule" in _errors(ins="", ins_oid="1.2.250.1.213.1.4.8")["ins"][0]


def test_unknown_keys_and_bad_local_ids_are_reported():
    with pytest.raises(ValidationError) as error:
        services.create_identity({**traits(), "shoe_size": 42}, actor=None, channel="hl7", local_ids=[("", "x")])
    assert set(error.value.message_dict) == {"shoe_size", "local_ids"}
    assert Patient.objects.count() == 0


def test_birth_place_requirement_is_configurable():
    with override_settings(ENRS_IDENTITY_REQUIRE_BIRTH_PLACE=False):
        assert services.clean_traits(traits(birth_place_insee=""))["birth_place_insee"] == ""


@hyp_settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1870, 1, 1), max_value=dt.date(2025, 12, 31)),
       st.sampled_from(["full", "no_day", "no_month"]))
def test_any_real_past_date_round_trips_with_its_unknown_parts(date, shape):
    text = {"full": date.isoformat(), "no_day": f"{date:%Y-%m}-00", "no_month": f"{date:%Y}-00-00"}[shape]
    substitute, declared = services.parse_birth_date(text)
    assert declared == ("" if shape == "full" else text)
    assert substitute.year == date.year and substitute <= timezone.localdate()
    if shape != "no_month":
        assert substitute.month == date.month


@hyp_settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1870, max_value=2025), st.integers(min_value=1, max_value=12), st.integers(min_value=29, max_value=40))
def test_days_beyond_the_month_are_refused(year, month, day):
    text = f"{year}-{month:02d}-{day:02d}"
    if day <= calendar.monthrange(year, month)[1]:
        assert services.parse_birth_date(text)[0] == dt.date(year, month, day)
    else:
        with pytest.raises(ValidationError):
            services.parse_birth_date(text)
