"""Search over HTTP: every parameter type, AND/OR, sorting, paging, _include, _count."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from fhirkit import assert_outcome, fhir_get, ids, pk, search_ids, validate

from enrs.directory import services as directory
from enrs.directory.models import Organisation

pytestmark = pytest.mark.django_db
FINESS = "https://finess.esante.gouv.fr"
R38 = "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"


# --- string ------------------------------------------------------------------------------


def test_string_search_is_word_start_case_and_accent_insensitive(client, dirdata):
    assert search_ids(client, "Organization", "name=cote") == {pk(dirdata.nacre)}
    assert search_ids(client, "Organization", "name=MEMORIAL") == {pk(dirdata.memorial)}
    assert search_ids(client, "Organization", "name=saint lo") == {pk(dirdata.ch_saint_lo)}
    assert search_ids(client, "Organization", "name=oeuvre") == {pk(dirdata.msp)}
    assert search_ids(client, "Organization", "name=ospitalier") == set()
    assert search_ids(client, "Practitioner", "name=helene lefevre") == {pk(dirdata.lefevre)}
    assert search_ids(client, "Practitioner", "given=pierre") == {pk(dirdata.martin)}
    assert search_ids(client, "Practitioner", "family=zoe") == set()  # Zoé is a given name


def test_string_modifiers_over_http(client, dirdata):
    assert search_ids(client, "Organization", "name:contains=ospitalier") == {pk(dirdata.ch_saint_lo), pk(dirdata.memorial)}
    assert search_ids(client, "Organization", "name:exact=EHPAD Les Tilleuls") == {pk(dirdata.ehpad)}
    assert search_ids(client, "Organization", "name:exact=ehpad les tilleuls") == set()
    assert search_ids(client, "Practitioner", "family:exact=Lefèvre") == {pk(dirdata.lefevre)}


def test_address_parameters(client, dirdata):
    caen = {pk(dirdata.chu), pk(dirdata.nacre)}
    assert search_ids(client, "Organization", "address-city=caen") == caen
    assert search_ids(client, "Organization", "address-postalcode=140") == caen
    assert search_ids(client, "Organization", "address=nacre") == {pk(dirdata.chu)}  # the street line
    assert search_ids(client, "Organization", "address=bayeux") == {pk(dirdata.msp)}


def test_comma_is_or_and_repetition_is_and(client, dirdata):
    assert search_ids(client, "Organization", "address-city=bayeux,lisieux") == {pk(dirdata.msp), pk(dirdata.ehpad)}
    assert search_ids(client, "Organization", "name=centre&address-city=saint") == {pk(dirdata.ch_saint_lo), pk(dirdata.memorial)}
    assert search_ids(client, "Organization", "name=centre&name=harcourt") == {pk(dirdata.memorial)}
    assert search_ids(client, "Organization", "name=centre,maison&name=harcourt,oeuvre") == {pk(dirdata.memorial), pk(dirdata.msp)}


def test_empty_values_are_ignored(client, dirdata):
    assert len(search_ids(client, "Organization", "name=&address-city=")) == Organisation.objects.count()


# --- token ------------------------------------------------------------------------------------


def test_organization_identifiers(client, dirdata):
    finess, siret = dirdata.nacre.finess, dirdata.chu.siret
    nacre = {pk(dirdata.nacre)}
    assert search_ids(client, "Organization", f"identifier={finess}") == nacre
    assert search_ids(client, "Organization", f"identifier={FINESS}|{finess}") == nacre
    assert search_ids(client, "Organization", f"identifier=http://finess.esante.gouv.fr|{finess}") == nacre
    assert search_ids(client, "Organization", f"identifier=urn:oid:1.2.250.1.71.4.2.2|1{finess}") == nacre
    assert search_ids(client, "Organization", f"identifier=urn:oid:1.2.250.1.71.4.2.2|{finess}") == set()
    assert search_ids(client, "Organization", f"identifier=https://sirene.fr|{siret}") == {pk(dirdata.chu)}
    assert search_ids(client, "Organization", f"identifier=http://sirene.fr|{siret}") == {pk(dirdata.chu)}
    assert search_ids(client, "Organization", f"identifier=https://autre.example|{finess}") == set()
    with_finess = search_ids(client, "Organization", f"identifier={FINESS}|")
    assert pk(dirdata.msp) not in with_finess and len(with_finess) == 5
    assert search_ids(client, "Organization", f"identifier:not={finess}") == {
        pk(o) for o in (dirdata.chu, dirdata.ch_saint_lo, dirdata.memorial, dirdata.msp, dirdata.ehpad)}


def test_practitioner_identifiers_accept_old_systems(client, dirdata):
    rpps = dirdata.lefevre.rpps
    lefevre = {pk(dirdata.lefevre)}
    for system in ("https://rpps.esante.gouv.fr", "http://rpps.esante.gouv.fr", "http://rpps.fr"):
        assert search_ids(client, "Practitioner", f"identifier={system}|{rpps}") == lefevre
    assert search_ids(client, "Practitioner", f"identifier=urn:oid:1.2.250.1.71.4.2.1|8{rpps}") == lefevre
    assert search_ids(client, "Practitioner", f"identifier={rpps}") == lefevre
    assert search_ids(client, "Practitioner", "identifier=urn:oid:1.2.250.1.71.4.2.1|0141234567") == {pk(dirdata.martin)}
    assert search_ids(client, "Practitioner", f"identifier=urn:oid:1.2.250.1.71.4.2.1|{rpps}") == set()


def test_type_and_active_tokens(client, dirdata):
    kinds = "https://fhir.enrs.invalid/CodeSystem/type-structure"
    core = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-3307"
    assert search_ids(client, "Organization", f"type={kinds}|MSP") == {pk(dirdata.msp)}
    assert search_ids(client, "Organization", f"type={core}|LEGAL-ENTITY") == {pk(dirdata.chu), pk(dirdata.ch_saint_lo)}
    assert search_ids(client, "Organization", "type=EHPAD") == {pk(dirdata.ehpad)}
    assert search_ids(client, "Organization", "type=101") == {pk(dirdata.chu)}  # FINESS category (TRE_R66)
    assert search_ids(client, "Organization", "active=false") == {pk(dirdata.ehpad)}
    assert search_ids(client, "Practitioner", "active=false") == {pk(dirdata.durand)}
    assert search_ids(client, "PractitionerRole", "active=true&specialty=SM54") == {pk(dirdata.role_nacre)}


def test_practitioner_role_tokens(client, dirdata):
    assert search_ids(client, "PractitionerRole", f"specialty={R38}|SM04") == {pk(dirdata.role_memorial)}
    assert search_ids(client, "PractitionerRole", "specialty=SM04,SM54") == {pk(dirdata.role_memorial), pk(dirdata.role_nacre)}
    assert search_ids(client, "PractitionerRole", "role=L") == {pk(dirdata.role_memorial), pk(dirdata.role_msp)}
    assert search_ids(client, "PractitionerRole", "role=FON-05") == {pk(dirdata.role_msp)}
    assert search_ids(client, "PractitionerRole", "specialty:missing=true") == {pk(dirdata.role_msp), pk(dirdata.role_durand)}


# --- reference and date --------------------------------------------------------------------------


def test_reference_parameters(client, dirdata):
    chu = dirdata.chu.pk
    assert search_ids(client, "Organization", f"partof=Organization/{chu}") == {pk(dirdata.nacre)}
    assert search_ids(client, "Organization", f"partof=http://testserver/fhir/Organization/{chu}") == {pk(dirdata.nacre)}
    assert search_ids(client, "Organization", "partof:missing=true") == {
        pk(o) for o in (dirdata.chu, dirdata.ch_saint_lo, dirdata.msp, dirdata.ehpad)}
    lefevre_roles = {pk(dirdata.role_nacre), pk(dirdata.role_memorial)}
    assert search_ids(client, "PractitionerRole", f"practitioner=Practitioner/{dirdata.lefevre.pk}") == lefevre_roles
    assert search_ids(client, "PractitionerRole", f"organization={dirdata.nacre.pk}") == {pk(dirdata.role_nacre), pk(dirdata.role_durand)}
    assert search_ids(client, "PractitionerRole", f"organization:Organization={dirdata.msp.pk}") == {pk(dirdata.role_msp)}
    assert search_ids(client, "PractitionerRole", "practitioner=Practitioner/999999") == set()


def _stamp(obj, moment: dt.datetime) -> None:
    type(obj).objects.filter(pk=obj.pk).update(updated_at=moment)


def test_last_updated_prefixes_and_precision(client, dirdata):
    Organisation.objects.update(updated_at=dt.datetime(2020, 6, 1, tzinfo=dt.UTC))
    a, b, c = dirdata.chu, dirdata.nacre, dirdata.msp
    _stamp(a, dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC))
    _stamp(b, dt.datetime(2024, 3, 31, 23, 30, tzinfo=dt.UTC))  # 1 April 01:30 in Paris
    _stamp(c, dt.datetime(2023, 12, 31, 23, 30, tzinfo=dt.UTC))  # 1 January 2024 00:30 in Paris

    def found(query):
        return search_ids(client, "Organization", f"{query}&_lastUpdated=ge2021")

    assert found("_lastUpdated=2024-03") == {pk(a)}
    assert found("_lastUpdated=2024") == {pk(a), pk(b), pk(c)}
    assert found("_lastUpdated=2024-04-01") == {pk(b)}
    assert found("_lastUpdated=gt2024-03") == {pk(b)}
    assert found("_lastUpdated=ge2024-03") == {pk(a), pk(b)}
    assert found("_lastUpdated=lt2024-03-10") == {pk(c)}
    assert found("_lastUpdated=le2024-03-10") == {pk(a), pk(c)}
    assert found("_lastUpdated=ne2024-03") == {pk(b), pk(c)}
    assert found("_lastUpdated=sa2024-03") == {pk(b)}
    assert found("_lastUpdated=eb2024-03-10") == {pk(c)}
    assert found("_lastUpdated=2024-03-10T12:00Z") == {pk(a)}
    assert found("_lastUpdated=2024-03-10T13:00:00%2B01:00") == {pk(a)}
    assert found("_lastUpdated=2024-03-10T13:00:00+01:00") == {pk(a)}  # "+" left unencoded
    assert found("_lastUpdated=lt2024-03-15&_lastUpdated=gt2023-12-31T23:00:00Z") == {pk(a), pk(c)}


def test_practitioner_role_period(client, dirdata):
    assert search_ids(client, "PractitionerRole", "date=ge2019-06-01&date=le2019-06-30") == {pk(dirdata.role_memorial)}
    assert search_ids(client, "PractitionerRole", "date=ge2021") == {pk(dirdata.role_nacre)}
    assert search_ids(client, "PractitionerRole", "date:missing=true") == {pk(dirdata.role_msp), pk(dirdata.role_durand)}


def test_id_parameter(client, dirdata):
    assert search_ids(client, "Organization", f"_id={dirdata.chu.pk},{dirdata.msp.pk}") == {pk(dirdata.chu), pk(dirdata.msp)}
    assert search_ids(client, "Organization", "_id=999999,abc") == set()


# --- sorting, paging, _count -------------------------------------------------------------------------


def test_sort_keys(client, dirdata):
    _status, ascending = fhir_get(client, "/fhir/Organization?_sort=name")
    names = [e["resource"]["name"] for e in ascending["entry"]]
    assert names == sorted(names)
    _status, descending = fhir_get(client, "/fhir/Organization?_sort=-name")
    assert [e["resource"]["name"] for e in descending["entry"]] == names[::-1]
    _status, by_city = fhir_get(client, "/fhir/Organization?_sort=address-city,-name&active=true")
    cities = [(e["resource"]["address"][0]["city"], e["resource"]["name"]) for e in by_city["entry"]]
    assert [c for c, _n in cities] == sorted(c for c, _n in cities)
    assert cities[:2] == [("Bayeux", "Maison de santé de l'Œuvre"), ("Caen", "Hôpital Côte de Nacre")]
    _status, families = fhir_get(client, "/fhir/Practitioner?_sort=family")
    assert [e["resource"]["name"][0]["family"] for e in families["entry"]] == ["Durand", "Lefèvre", "Martin"]


@pytest.fixture
def many(dirdata):
    for number in range(23):
        directory.upsert_organisation({"name": f"Structure de test {number:02d}", "kind": "CDS", "city": f"Ville {number % 4}"})


@pytest.mark.parametrize("sort", ["", "name", "-name", "address-city", "-_lastUpdated"])
def test_walking_next_links_returns_every_match_once(client, many, sort):
    url = f"/fhir/Organization?name=structure&_count=5&_sort={sort}"
    seen, pages = [], 0
    while url:
        status, bundle = fhir_get(client, url)
        assert status == 200 and bundle["total"] == 23
        seen += ids(bundle)
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert parse_qs(urlparse(links["last"]).query)["_page"] == ["5"]
        url = links.get("next")
        pages += 1
        assert pages <= 5
    assert pages == 5 and len(seen) == 23 and len(set(seen)) == 23


def test_paging_links(client, many):
    _status, bundle = fhir_get(client, "/fhir/Organization?name=structure&_count=10&_page=2")
    links = {link["relation"]: parse_qs(urlparse(link["url"]).query) for link in bundle["link"]}
    assert set(links) == {"self", "first", "previous", "next", "last"}
    assert links["self"]["_page"] == ["2"] and links["previous"]["_page"] == ["1"] and links["next"]["_page"] == ["3"]
    assert links["self"]["name"] == ["structure"] and links["self"]["_count"] == ["10"]
    _status, beyond = fhir_get(client, "/fhir/Organization?name=structure&_count=10&_page=9")
    assert beyond["total"] == 23 and "entry" not in beyond
    assert {link["relation"] for link in beyond["link"]} == {"self", "first", "previous", "last"}


def test_count_default_max_and_zero(client, many, settings):
    settings.ENRS_FHIR_DEFAULT_COUNT = 4
    settings.ENRS_FHIR_MAX_COUNT = 7
    _status, default = fhir_get(client, "/fhir/Organization?name=structure")
    assert len(default["entry"]) == 4
    _status, clamped = fhir_get(client, "/fhir/Organization?name=structure&_count=500")
    assert len(clamped["entry"]) == 7
    self_link = next(link["url"] for link in clamped["link"] if link["relation"] == "self")
    assert "_count=7" in self_link
    _status, zero = fhir_get(client, "/fhir/Organization?name=structure&_count=0")
    assert zero["total"] == 23 and "entry" not in zero


def test_total_none_skips_the_count(client, many):
    _status, bundle = fhir_get(client, "/fhir/Organization?name=structure&_total=none&_count=20")
    assert "total" not in bundle and len(bundle["entry"]) == 20
    assert "next" in {link["relation"] for link in bundle["link"]}


# --- _include -----------------------------------------------------------------------------------------


def test_include_practitioner_and_organization_without_duplicates(client, dirdata):
    query = "/fhir/PractitionerRole?_include=PractitionerRole:practitioner&_include=PractitionerRole:organization:Organization"
    _status, bundle = fhir_get(client, query)
    assert set(ids(bundle)) == {pk(s) for s in (dirdata.role_nacre, dirdata.role_memorial, dirdata.role_msp, dirdata.role_durand)}
    included = [(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert len(included) == len(set(included))
    assert set(included) == {
        ("Practitioner", pk(dirdata.lefevre)), ("Practitioner", pk(dirdata.martin)), ("Practitioner", pk(dirdata.durand)),
        ("Organization", pk(dirdata.nacre)), ("Organization", pk(dirdata.memorial)), ("Organization", pk(dirdata.msp)),
    }
    assert bundle["total"] == 4  # included resources are not counted
    for entry in bundle["entry"]:
        validate(entry["resource"])
        assert entry["fullUrl"].endswith(f"/{entry['resource']['resourceType']}/{entry['resource']['id']}")


def test_include_skips_resources_already_matched(client, dirdata):
    _status, bundle = fhir_get(client, "/fhir/Organization?address-city=caen&_include=Organization:partof")
    assert set(ids(bundle)) == {pk(dirdata.chu), pk(dirdata.nacre)}
    assert ids(bundle, "include") == []
    _status, only_et = fhir_get(client, "/fhir/Organization?name=nacre&_include=Organization:partof")
    assert ids(only_et, "include") == [pk(dirdata.chu)]


def test_include_only_follows_the_current_page(client, dirdata):
    _status, bundle = fhir_get(client, "/fhir/PractitionerRole?_include=PractitionerRole:organization&_sort=date&_count=1")
    assert len(ids(bundle)) == 1 and len(ids(bundle, "include")) == 1


# --- POST _search -------------------------------------------------------------------------------------


def test_post_search_merges_url_and_body(client, dirdata):
    response = client.post("/fhir/Organization/_search?address-city=caen", "name=nacre", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and set(ids(response.json())) == {pk(dirdata.nacre)}
    assert search_ids(client, "Organization/_search", "name=nacre") == {pk(dirdata.nacre)}


def test_lenient_handling_ignores_unknown_parameters_and_says_so(client, dirdata):
    status, bundle = fhir_get(client, "/fhir/Organization?name=nacre&couleur=bleu&name:phonetic=x", headers={"Prefer": "handling=lenient"})
    assert status == 200 and ids(bundle) == [pk(dirdata.nacre)]
    outcome = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert outcome and outcome[0]["issue"][0]["severity"] == "warning"
    assert "couleur" in outcome[0]["issue"][0]["diagnostics"]
    self_link = next(link["url"] for link in bundle["link"] if link["relation"] == "self")
    assert "couleur" not in self_link and "name=nacre" in self_link
    status, body = fhir_get(client, "/fhir/Organization?_lastUpdated=hier", headers={"Prefer": "handling=lenient"})
    assert status == 400
    assert_outcome(body, "invalid", "_lastUpdated")
