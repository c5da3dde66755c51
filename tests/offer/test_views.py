"""The search pages, the map and the detail: bad criteria are French field errors (400), never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, message",
    [
        ({"activity": "999"}, "Sélectionnez un choix valide"),
        ({"commune": "Nulle-Part-sur-Mer"}, "Commune inconnue"),
        ({"lat": "95", "lon": "2"}, "hors limites"),
        ({"lat": "49", "lon": "abc"}, "nombre"),
        ({"radius": "30"}, "Indiquez une commune"),
        ({"radius": "7"}, "Sélectionnez un choix valide"),
        ({"q": "douleur", "page": "0"}, "supérieure ou égale à 1"),
    ],
)
def test_bad_criteria_are_field_errors(region, client, query, message):
    response = client.get(reverse("offer:public_search"), query)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.django_db
def test_public_search_map_and_detail(region, client):
    response = client.get(reverse("offer:public_search"), {"q": "douleur", "commune": "Caen", "radius": "50"})
    body = response.content.decode()
    assert response.status_code == 200 and "1 offre trouvée" in body and "Consultation douleur chronique" in body
    assert 'data-facet="activity:004">(1)' in body
    map_page = client.get(reverse("offer:public_map"), {"q": "douleur"}).content.decode()
    assert map_page.count('class="offer-map__point"') == 3 and 'role="img"' in map_page
    detail = client.get(reverse("offer:detail", args=[region["offers"]["douleur-caen"].pk])).content.decode()
    assert "Algologie et Médecine de la douleur" in detail and "demandée par votre médecin" in detail
    assert client.get(reverse("offer:detail", args=[999_999])).status_code == 404


@pytest.mark.django_db
def test_professional_pages_are_closed_to_patients_and_anonymous(region, client, users):
    assert client.get(reverse("offer:search")).status_code == 302  # to the login page
    client.force_login(users["patient"])
    assert client.get(reverse("offer:search")).status_code == 403
    assert client.get(reverse("offer:capacity")).status_code == 403
    client.force_login(users["pro"])
    page = client.get(reverse("offer:search"), {"q": "douleur", "telehealth": "teleexpertise"})
    assert page.status_code == 200 and "2 offres trouvées" in page.content.decode()
    detail = client.get(reverse("offer:detail", args=[region["offers"]["douleur-caen"].pk])).content.decode()
    assert "https://telemedecine.example.invalid/douleur" in detail
