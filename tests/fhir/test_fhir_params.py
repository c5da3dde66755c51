"""Search-parameter parsing, unit-tested without HTTP."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from enrs.directory.models import Organisation, PracticeSituation
from enrs.fhir import params as p
from enrs.core import text
from enrs.fhir.errors import InvalidSearchValue


def test_escaped_separators_are_not_split():
    assert p.split_escaped(r"a,b\,c,d", ",") == ["a", r"b\,c", "d"]
    assert p.split_escaped(r"sys\|tem|code", "|") == [r"sys\|tem", "code"]
    assert p.unescape(r"b\,c\\d\|e\$f") == r"b,c\d|e$f"
    assert p.split_escaped("", ",") == [""]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://finess.esante.gouv.fr", "//finess.esante.gouv.fr"),
        ("http://finess.esante.gouv.fr/", "//finess.esante.gouv.fr"),
        ("HTTPS://FINESS.Esante.gouv.fr", "//finess.esante.gouv.fr"),
        ("urn:oid:1.2.250.1.71.4.2.1", "urn:oid:1.2.250.1.71.4.2.1"),
    ],
)
def test_systems_are_compared_without_scheme_or_host_case(given, expected):
    assert p.normalise_system(given) == expected


@pytest.mark.parametrize(("value", "pk"), [("1", 1), ("42", 42), ("0", None), ("-1", None), ("abc", None), ("1.5", None),
                                          ("9" * 30, None), ("٣", None)])
def test_ids_that_cannot_be_keys_are_none(value, pk):
    assert p.integer_pk(value) == pk


# --- Strings: the regular expressions, checked with Python's re (SQLite's REGEXP) ----


def _matches(pattern: str, value: str) -> bool:
    return re.search("(?i)" + pattern, value) is not None


@pytest.mark.parametrize(
    ("word", "value", "expected"),
    [
        ("helene", "Hélène Lefèvre", True),
        ("HELENE", "hélène", True),
        ("lefevre", "Hélène LEFÈVRE", True),
        ("lene", "Hélène", False),  # not the start of a word
        ("harc", "Mémorial d'Harcourt", True),
        ("lo", "Saint-Lô", True),
        ("oeuvre", "Maison de l'Œuvre", True),
        ("coeur", "Cœur", True),
        ("noel", "Noël", True),
        ("chu", "C.H.U. (site nord)", False),
        ("nord", "C.H.U. (site nord)", True),
        ("ecole", "ÉCOLE", True),
    ],
)
def test_word_start_patterns_ignore_case_and_accents(word, value, expected):
    assert _matches(text.word_start_regex(text.fold(word)), value) is expected


def test_words_split_like_names_do():
    assert text.words("  Jean-Pierre d'Harcourt ") == ["jean", "pierre", "d", "harcourt"]
    assert text.words("'- ,") == []
    assert text.fold("Œuvre Æ ß") == "oeuvre ae ss"


def test_regex_metacharacters_are_literal():
    pattern = text.contains_regex("a.b*(c)[d]")
    assert _matches(pattern, "xa.b*(c)[d]y")
    assert not _matches(pattern, "aXbbb(c)d")


# --- Parameters on the database ------------------------------------------------------------


def _ctx(model=Organisation):
    return p.SearchContext(model=model, base_url="http://testserver/fhir")


def _found(param, raw, modifier=None, model=Organisation):
    q = param.filter(raw, modifier, _ctx(model))
    return set(model.objects.filter(q).values_list("name" if model is Organisation else "pk", flat=True))


@pytest.mark.django_db
def test_string_modifiers(dirdata):
    name = p.string("name", "name", "short_name")
    assert _found(name, "cote nacre") == {"Hôpital Côte de Nacre"}
    assert _found(name, "nacre cote") == {"Hôpital Côte de Nacre"}  # every word, any order
    assert _found(name, "caen") == {"CHU de Caen Normandie"}  # via the short name
    assert _found(name, "acre") == set()
    assert _found(name, "acre", "contains") == {"Hôpital Côte de Nacre"}
    assert _found(name, "Hôpital Côte de Nacre", "exact") == {"Hôpital Côte de Nacre"}
    assert _found(name, "hôpital côte de nacre", "exact") == set()
    with pytest.raises(InvalidSearchValue, match="aucun mot"):
        _found(name, "--")
    with pytest.raises(InvalidSearchValue, match="Modificateur") as caught:
        _found(name, "x", "below")
    assert caught.value.code == "not-supported"


@pytest.mark.django_db
def test_string_or_list_and_empty_values(dirdata):
    city = p.string("address-city", "city")
    assert _found(city, "bayeux,lisieux") == {"Maison de santé de l'Œuvre", "EHPAD Les Tilleuls"}
    assert city.filter("", None, _ctx()) is None
    assert city.filter(",,", None, _ctx()) is None


@pytest.mark.django_db
def test_token_forms(dirdata):
    finess = dirdata.nacre.finess
    identifier = p.token(
        "identifier",
        p.TokenTarget("finess", system="https://finess.esante.gouv.fr"),
        p.TokenTarget("siret", system="https://sirene.fr"),
    )
    assert _found(identifier, finess) == {"Hôpital Côte de Nacre"}
    assert _found(identifier, f"https://finess.esante.gouv.fr|{finess}") == {"Hôpital Côte de Nacre"}
    assert _found(identifier, f"http://finess.esante.gouv.fr/|{finess}") == {"Hôpital Côte de Nacre"}
    assert _found(identifier, f"https://sirene.fr|{finess}") == set()
    assert _found(identifier, f"|{finess}") == set()  # every target has a system
    assert "Maison de santé de l'Œuvre" not in _found(identifier, "https://finess.esante.gouv.fr|")
    assert _found(identifier, "https://sirene.fr|") == {"CHU de Caen Normandie"}
    negated = _found(identifier, finess, "not")
    assert "Hôpital Côte de Nacre" not in negated and "Maison de santé de l'Œuvre" in negated
    with pytest.raises(InvalidSearchValue, match="un seul"):
        _found(identifier, "a|b|c")
    with pytest.raises(InvalidSearchValue, match="vide"):
        _found(identifier, "|")


@pytest.mark.django_db
def test_token_without_system_and_boolean(dirdata):
    kind = p.token("kind", p.TokenTarget("kind"))
    assert _found(kind, "|MSP") == {"Maison de santé de l'Œuvre"}
    assert _found(kind, "msp") == set()  # tokens are case-sensitive
    active = p.boolean_token("active", "active")
    assert _found(active, "false") == {"EHPAD Les Tilleuls"}
    with pytest.raises(InvalidSearchValue, match="booléenne"):
        _found(active, "oui")


@pytest.mark.django_db
def test_missing_modifier(dirdata):
    finess = p.token("identifier", p.TokenTarget("finess", system="https://finess.esante.gouv.fr"))
    assert _found(finess, "true", "missing") == {"Maison de santé de l'Œuvre"}
    assert "Maison de santé de l'Œuvre" not in _found(finess, "false", "missing")
    with pytest.raises(InvalidSearchValue, match="missing"):
        _found(finess, "yes", "missing")


@pytest.mark.django_db
def test_reference_forms(dirdata):
    partof = p.reference("partof", {"Organization": "legal_entity"})
    chu = dirdata.chu.pk
    expected = {"Hôpital Côte de Nacre"}
    assert _found(partof, f"Organization/{chu}") == expected
    assert _found(partof, str(chu)) == expected
    assert _found(partof, f"http://testserver/fhir/Organization/{chu}") == expected
    assert _found(partof, f"https://ailleurs.example/fhir/Organization/{chu}") == set()
    assert _found(partof, str(chu), "Organization") == expected
    assert _found(partof, "Organization/abc") == set()
    with pytest.raises(InvalidSearchValue, match="pas admis"):
        _found(partof, f"Practitioner/{chu}")
    with pytest.raises(InvalidSearchValue, match="Référence invalide"):
        _found(partof, "Organization/a b")
    with pytest.raises(InvalidSearchValue, match="Modificateur"):
        _found(partof, str(chu), "Practitioner")


@pytest.mark.django_db
def test_number_and_uri(dirdata):
    Organisation.objects.filter(pk=dirdata.chu.pk).update(latitude=Decimal("49.2"), email="contact@chu.test")
    Organisation.objects.filter(pk=dirdata.memorial.pk).update(latitude=Decimal("49.1157"))
    latitude = p.number("latitude", "latitude")
    assert _found(latitude, "49.2") == {"CHU de Caen Normandie"}
    assert _found(latitude, "49") == {"CHU de Caen Normandie", "Centre hospitalier Mémorial d'Harcourt"}  # [48.5, 49.5)
    assert _found(latitude, "gt49.12") == {"CHU de Caen Normandie"}
    assert _found(latitude, "le49.1157") == {"Centre hospitalier Mémorial d'Harcourt"}
    assert _found(latitude, "ne49.2") == {"Centre hospitalier Mémorial d'Harcourt"}
    for bad in ("abc", "NaN", "Infinity", "1e999"):
        with pytest.raises(InvalidSearchValue, match="Nombre invalide"):
            _found(latitude, bad)
    email = p.uri("email", "email")
    assert _found(email, "contact@chu.test") == {"CHU de Caen Normandie"}
    assert _found(email, "contact@chu") == set()


@pytest.mark.django_db
def test_period_dates(dirdata):
    period = p.date("date", "start_date", "end_date")

    def found(raw):
        return _found(period, raw, model=PracticeSituation)

    nacre, memorial = dirdata.role_nacre.pk, dirdata.role_memorial.pk
    assert found("ge2019-06-01") == {nacre, memorial}
    assert found("le2019-06-30") == {memorial}
    assert found("ge2021") == {nacre}  # open-ended
    assert found("2019-03") == set()  # eq: the period must lie inside the value
    assert found("2018-05-01,2020") == set()
    assert found("sa2019") == {nacre}
    assert found("eb2020") == {memorial}
    assert _found(period, "true", "missing", model=PracticeSituation) == {dirdata.role_msp.pk, dirdata.role_durand.pk}


def test_declarations_are_checked():
    with pytest.raises(ValueError):
        p.string("Nom invalide", "name")
    with pytest.raises(ValueError):
        p.date("date", "a", "b", "c")
