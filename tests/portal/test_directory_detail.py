"""Directory detail pages: organisation (with establishments and professionals) and professional."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .builders import make_organisation, make_professional, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital():
    ej = make_organisation("CHU de Caen Normandie", college="A", kind="CHU", finess_kind="EJ")
    site = make_organisation("CHU de Caen — site Côte de Nacre", college="A", kind="CHU", legal_entity=ej)
    other = make_organisation("Clinique du Parc", college="A", kind="CLINIQUE")
    cardio = make_professional("Léa", "Rousseau", mssante_address="lea.rousseau@chu-caen.mssante.fr")
    place(cardio, site, specialty_code="SM04", role_label="Praticien hospitalier", mode="S", phone="0231000000")
    retired = make_professional("Ancien", "Praticien")
    place(retired, site, active=False)
    return {"ej": ej, "site": site, "other": other, "cardio": cardio}


def test_legal_entity_page_lists_its_establishments(pro_client, hospital):
    html = pro_client.get(reverse("directory:organisation", args=[hospital["ej"].pk])).content.decode()
    assert "CHU de Caen Normandie" in html and hospital["ej"].finess in html
    assert "Établissements de l&#x27;entité juridique" in html or "Établissements de l'entité juridique" in html
    assert reverse("directory:organisation", args=[hospital["site"].pk]) in html
    assert "Clinique du Parc" not in html


def test_establishment_page_shows_identifiers_address_and_professionals(pro_client, hospital):
    site = hospital["site"]
    html = pro_client.get(reverse("directory:organisation", args=[site.pk])).content.decode()
    assert site.finess in html and "14000 Caen" in html
    assert reverse("directory:organisation", args=[hospital["ej"].pk]) in html  # link to its legal entity
    assert "Léa Rousseau" in html and "Cardiologie et maladies vasculaires" in html and "Salarié" in html
    assert "Ancien Praticien" not in html  # ended situation
    assert "Établissements de l" not in html  # an ET has no establishments section


def test_professional_page_shows_identifiers_situations_and_mssante(pro_client, hospital):
    cardio = hospital["cardio"]
    html = pro_client.get(reverse("directory:professional", args=[cardio.pk])).content.decode()
    assert cardio.rpps in html and cardio.idnat_ps in html and "Médecin" in html
    assert "lea.rousseau@chu-caen.mssante.fr" in html
    assert "CHU de Caen — site Côte de Nacre" in html and "Praticien hospitalier" in html
    assert "0231000000" in html


@pytest.mark.parametrize("name", ["directory:organisation", "directory:professional"])
@pytest.mark.parametrize("pk", [987654, 2**63 + 5])
def test_unknown_ids_give_a_french_404(pro_client, name, pk):
    response = pro_client.get(reverse(name, args=[pk]))
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_professionals_of_a_large_organisation_are_paginated(pro_client):
    organisation = make_organisation("Centre hospitalier de Lisieux", college="A", kind="CH")
    for i in range(55):
        place(make_professional(f"Interne{i:02d}", "Lisieux"), organisation)
    url = reverse("directory:organisation", args=[organisation.pk])
    first = pro_client.get(url).content.decode()
    assert first.count("Lisieux</a></th>") == 50 and "Page 1 sur 2" in first
    second = pro_client.get(url, {"page": "2"}).content.decode()
    assert second.count("Lisieux</a></th>") == 5
    assert pro_client.get(url, {"page": "n'importe"}).status_code == 200


def test_patient_cannot_open_detail_pages(client, patient_user, hospital):
    client.force_login(patient_user)
    response = client.get(reverse("directory:professional", args=[hospital["cardio"].pk]))
    assert response.status_code == 403
