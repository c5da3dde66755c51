"""Directory search screen: accent-insensitive names, filters, pagination, errors, htmx."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from enrs.directory.selectors import accent_insensitive_pattern, fold, search_terms

from .builders import make_organisation, make_professional, place

SEARCH = reverse("directory:search")


# --- The accent-insensitive pattern (pure function) ---------------------------------------
def test_fold_strips_accents_and_case():
    assert fold("Hélène LEFÈVRE") == "helene lefevre"
    assert fold("Ça Œuvre") == "ca oeuvre"


def test_pattern_matches_every_accent_and_case_variant():
    # The selectors run the pattern with iregex, as here with IGNORECASE.
    pattern = re.compile(accent_insensitive_pattern("helene"), re.IGNORECASE)
    for name in ("Hélène", "HÉLÈNE", "helene", "Hélene", "Marie-Hélène"):
        assert pattern.search(name), name
    assert not pattern.search("Hellène")


def test_pattern_treats_punctuation_literally():
    assert re.fullmatch(accent_insensitive_pattern("a.b"), "a.b")
    assert not re.fullmatch(accent_insensitive_pattern("a.b"), "axb")
    re.compile(accent_insensitive_pattern("(["))  # no regex injection


def test_search_terms_are_bounded():
    assert search_terms("  Jean   Pierre ") == ["jean", "pierre"]
    assert len(search_terms("a " * 50)) == 6
    assert len(search_terms("x" * 500)[0]) == 40


LETTERS = "abcdefghijklmnopqrstuvwxyzàâäéèêëîïôöùûüçñÿABCDEÉÈÇÀÔÎÙ"


@given(name=st.text(alphabet=LETTERS, max_size=20), term=st.text(alphabet=LETTERS, min_size=1, max_size=5))
def test_pattern_agrees_with_folded_containment(name, term):
    assert bool(re.search(accent_insensitive_pattern(term), name, re.IGNORECASE)) == (fold(term) in fold(name))


# --- The screen -------------------------------------------------------------------------
@pytest.fixture
def region(db):
    caen = make_organisation("Maison de santé de Caen Nord", college="B", kind="MSP", city="Caen")
    rouen = make_organisation("EHPAD Les Hêtres", college="C", kind="EHPAD", city="Rouen")
    helene = make_professional("Hélène", "Lefèvre", profession_code="10", mssante_address="helene.lefevre@medecin.mssante.fr")
    place(helene, caen, specialty_code="SM54")
    nurse = make_professional("Étienne", "Dupré", profession_code="60")
    place(nurse, rouen)
    return {"caen": caen, "rouen": rouen, "helene": helene, "nurse": nurse}


def results(response) -> str:
    assert response.status_code == 200, response.content.decode()[:500]
    html = response.content.decode()
    start = html.index('id="resultats"') if 'id="resultats"' in html else 0
    return html[start:]


@pytest.mark.parametrize("query", ["helene lefevre", "HELENE", "Lefèvre", "lefev", "LEFÈVRE hélène"])
def test_accentless_or_any_case_name_finds_helene_lefevre(pro_client, region, query):
    html = results(pro_client.get(SEARCH, {"q": query}))
    assert "Hélène Lefèvre" in html
    assert reverse("directory:professional", args=[region["helene"].pk]) in html


def test_every_term_must_match(pro_client, region):
    html = results(pro_client.get(SEARCH, {"q": "helene dupre"}))
    assert "Aucun professionnel ne correspond" in html


def test_search_by_rpps_and_by_finess(pro_client, region):
    assert "Hélène Lefèvre" in results(pro_client.get(SEARCH, {"q": region["helene"].rpps}))
    html = results(pro_client.get(SEARCH, {"q": region["rouen"].finess}))
    assert "EHPAD Les Hêtres" in html and "Maison de santé de Caen Nord" not in html


def test_professional_row_shows_profession_specialty_and_commune(pro_client, region):
    html = results(pro_client.get(SEARCH, {"q": "lefevre"}))
    row = html[html.index("Hélène Lefèvre"):]
    row = row[: row.index("</tr>")]
    assert "Médecin" in row and "Médecine générale" in row and "Caen" in row


def test_organisation_row_shows_type_finess_and_commune(pro_client, region):
    html = results(pro_client.get(SEARCH, {"q": "hetres"}))
    row = html[html.index("EHPAD Les Hêtres"):]
    row = row[: row.index("</tr>")]
    assert "EHPAD" in row and region["rouen"].finess in row and "Rouen" in row


def test_commune_search_finds_organisations(pro_client, region):
    html = results(pro_client.get(SEARCH, {"q": "rouen", "type": "structures"}))
    assert "EHPAD Les Hêtres" in html and "Caen Nord" not in html


def test_profession_filter(pro_client, region):
    html = results(pro_client.get(SEARCH, {"profession": "60", "type": "professionnels"}))
    assert "Étienne Dupré" in html and "Hélène Lefèvre" not in html


def test_departement_filter_applies_to_both_lists(pro_client, region):
    html = results(pro_client.get(SEARCH, {"departement": "76"}))
    assert "Étienne Dupré" in html and "EHPAD Les Hêtres" in html
    assert "Hélène Lefèvre" not in html and "Caen Nord" not in html


def test_structure_type_filter(pro_client, region):
    html = results(pro_client.get(SEARCH, {"structure": "MSP"}))
    assert "Maison de santé de Caen Nord" in html and "Hélène Lefèvre" in html
    assert "EHPAD Les Hêtres" not in html and "Étienne Dupré" not in html


def test_departement_choices_come_from_the_directory(pro_client, region):
    html = pro_client.get(SEARCH).content.decode()
    assert '<option value="14">' in html and '<option value="76">' in html
    assert '<option value="61">' not in html


def test_empty_search_invites_to_type_and_lists_nothing(pro_client, region):
    html = results(pro_client.get(SEARCH))
    assert "Saisissez un nom" in html and "Hélène Lefèvre" not in html


def test_scope_professionals_hides_organisations(pro_client, region):
    html = results(pro_client.get(SEARCH, {"q": "e", "type": "professionnels"}))
    assert 'id="results-professionals"' in html and 'id="results-organisations"' not in html


@pytest.fixture
def many_martins(db):
    organisation = make_organisation("Centre de santé du Port", college="B", kind="CDS")
    for i in range(25):
        place(make_professional(f"Prénom{i:02d}", "Martin"), organisation)


def test_overview_shows_a_preview_and_a_link_to_the_full_list(pro_client, many_martins):
    html = results(pro_client.get(SEARCH, {"q": "martin"}))
    assert html.count("Martin</a></th>") == 5
    assert "Voir les 25 professionnels" in html and "type=professionnels" in html


def test_pagination_of_a_single_list(pro_client, many_martins):
    first = results(pro_client.get(SEARCH, {"q": "martin", "type": "professionnels"}))
    assert first.count("Martin</a></th>") == 20 and "Page 1 sur 2" in first
    assert "page=2" in first
    second = results(pro_client.get(SEARCH, {"q": "martin", "type": "professionnels", "page": "2"}))
    assert second.count("Martin</a></th>") == 5 and "Prénom24" in second and "Prénom00" not in second


def test_page_beyond_the_end_shows_the_last_page(pro_client, many_martins):
    html = results(pro_client.get(SEARCH, {"q": "martin", "type": "professionnels", "page": "99"}))
    assert "Page 2 sur 2" in html


@pytest.mark.parametrize(
    ("params", "field_label", "message"),
    [
        ({"profession": "ZZ"}, "Profession", "Sélectionnez un choix valide"),
        ({"departement": "999"}, "Département", "Sélectionnez un choix valide"),
        ({"structure": "HOPITAL"}, "Type de structure", "Sélectionnez un choix valide"),
        ({"type": "NOPE"}, "Afficher", "Sélectionnez un choix valide"),
        ({"q": "martin", "page": "abc"}, "Page", "Saisissez un nombre entier"),
        ({"q": "martin", "page": "-3"}, "Page", "supérieure ou égale à 1"),
        ({"q": "x" * 101}, "Nom, commune ou numéro", "au plus 100 caractères"),
        ({"q": "\x00<script>"}, "Nom, commune ou numéro", "caractère nul"),
    ],
)
def test_bad_criteria_give_a_french_error_not_a_500(pro_client, region, params, field_label, message):
    response = pro_client.get(SEARCH, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and f"{field_label} : " in html and message in html
    assert "Hélène Lefèvre" not in html
    assert "<script>" not in html.split("</head>", 1)[1].replace('<script src=', '')


def test_field_error_is_linked_to_its_select(pro_client, region):
    html = pro_client.get(SEARCH, {"profession": "ZZ"}).content.decode()
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_profession_error"' in html
    assert 'id="id_profession_error"' in html


def test_htmx_request_gets_the_results_fragment_with_the_status(pro_client, region):
    response = pro_client.get(SEARCH, {"q": "lefevre"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "Hélène Lefèvre" in html and 'hx-swap-oob="true"' in html
    assert "Résultats : 1 professionnel, aucune structure." in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_full_page(pro_client, region):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = pro_client.get(SEARCH, {"q": "lefevre"}, headers=headers).content.decode()
    assert "<html" in html


def test_search_form_works_without_javascript(pro_client, region):
    html = pro_client.get(SEARCH).content.decode()
    form = html[html.index('<form method="get"'):]
    form = form[: form.index("</form>")]
    assert f'action="{SEARCH}"' in form and 'type="submit"' in form
    assert f'hx-get="{SEARCH}"' in form and 'hx-target="#resultats"' in form


def test_agency_staff_may_search(client, region):
    from .builders import make_user

    client.force_login(make_user("agent@test.invalid", "agency", is_staff=True))
    assert "Hélène Lefèvre" in results(client.get(SEARCH, {"q": "lefevre"}))
