"""Membership screens over HTTP: catalogue filters, application, quote and PDF, who may see what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from enrs.membership import account_requests, services
from enrs.membership.models import Document, GeneralAssembly, Member
from enrs.membership.services import Item

from .builders import make_assembly, make_member, make_organisation, make_practising_professional, make_referent, make_user

pytestmark = pytest.mark.django_db


def test_public_catalogue_lists_every_service_with_its_details(client):
    html = client.get(reverse("membership:catalogue")).content.decode()
    for code in ("erdv", "teleconsultation-avancee", "dpm", "syvik", "mon-espace-sante", "domoplaies", "emage"):
        assert f'data-service="{code}"' in html
    assert "Pack complémentaire" in html and "Pôle Ingénierie et Infrastructure" in html


def test_catalogue_filters(client):
    url = reverse("membership:catalogue")
    html = client.get(url, {"college": "C", "obtained_by": "pack_complementaire"}).content.decode()
    assert 'data-service="estaff"' in html and 'data-service="erdv"' not in html and 'data-service="tchat"' not in html
    html = client.get(url, {"q": "imagerie"}).content.decode()
    assert 'data-service="emage"' in html and 'data-service="tchat"' not in html
    html = client.get(url, {"q": "teleradiologie"}).content.decode()  # accents folded
    assert 'data-service="teleradiologie"' in html
    bad = client.get(url, {"college": "Z"})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()


def test_tariffs_page_is_public(client):
    html = client.get(reverse("membership:tariffs")).content.decode()
    assert "Pack complémentaire — CHU" in html and "600,00\u00a0€" in html


def test_referent_applies_requests_a_quote_and_downloads_the_pdf(client):
    ehpad = make_organisation("EHPAD Les Hortensias de Synthèse", kind="EHPAD")
    referent = make_referent(ehpad, "referente@test.invalid")
    client.force_login(referent)
    response = client.post(reverse("membership:apply"), {"organisation": ehpad.pk, "category": "C"})
    member = Member.objects.get(organisation=ehpad)
    assert response.status_code == 302 and member.status == "pending"
    response = client.post(reverse("membership:quote_request"), {
        "member": member.pk, "product": "pack", "quantity": 1, "months": 12, "per": "structure", "pages": 1, "years": 1,
    })
    quote = Document.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("membership:document", args=[quote.pk])
    page = client.get(response["Location"]).content.decode()
    assert "1\u00a0440,00\u00a0€" in page and quote.number in page
    pdf = client.get(reverse("membership:document_pdf", args=[quote.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_quote_for_a_product_the_college_may_not_take_shows_a_french_error(client):
    member = make_member("E")
    client.force_login(make_referent(member.organisation))
    response = client.post(reverse("membership:quote_request"), {
        "member": member.pk, "product": "pack", "quantity": 1, "months": 12, "per": "structure", "pages": 1, "years": 1,
    })
    assert response.status_code == 400 and "collège E ne peut pas souscrire" in response.content.decode()
    assert not Document.objects.exists()


def test_other_organisations_see_nothing(client):
    member = make_member("C")
    quote = services.request_quote(member, [Item("pack")], on=dt.date(2025, 6, 2))
    client.force_login(make_referent(make_organisation(kind="EHPAD")))
    assert client.get(reverse("membership:member", args=[member.pk])).status_code == 404
    assert client.get(reverse("membership:document", args=[quote.pk])).status_code == 404
    assert client.get(reverse("membership:document_pdf", args=[quote.pk])).status_code == 404
    response = client.post(reverse("membership:quote_request"), {"member": member.pk, "product": "pack", "quantity": 1,
                                                                 "months": 12, "per": "structure", "pages": 1, "years": 1})
    assert response.status_code == 400 and Document.objects.count() == 1


def test_agency_admits_at_an_assembly_and_admission_without_assembly_is_refused(client):
    member = make_member("C", on=dt.date(2025, 1, 5))
    client.force_login(make_user("agence@test.invalid", kind="agency"))
    response = client.post(reverse("membership:assemblies"), {"date": "2025-03-17", "title": "AG de printemps", "agenda": "Adhésions"})
    assembly = GeneralAssembly.objects.get()
    assert response.status_code == 302
    response = client.post(reverse("membership:vote"), {"member": member.pk, "action": "admit"})
    assert response.status_code == 400 and "votée par une assemblée générale" in response.content.decode()
    response = client.post(reverse("membership:vote"), {"assembly": assembly.pk, "member": member.pk, "action": "admit"})
    member.refresh_from_db()
    assert response.status_code == 302 and member.status == "member"
    html = client.get(reverse("membership:register"), {"college": "C"}).content.decode()
    assert member.name in html and 'id="college-counts"' in html


def test_agency_screens_are_refused_to_professionals(client):
    client.force_login(make_referent(make_organisation()))
    for name in ("membership:register", "membership:assemblies", "membership:report"):
        assert client.get(reverse(name)).status_code == 403


def test_account_request_is_handled_by_the_members_referent_only(client):
    member = services.admit(make_member("C"), make_assembly())
    referent = make_referent(member.organisation)
    request = account_requests.request_account(member, first_name="Lina", last_name="Synthèse", email="lina@test.invalid",
                                       profession="Infirmière", by=make_user("agence@test.invalid", kind="agency"))
    client.force_login(make_referent(make_organisation()))
    response = client.post(reverse("membership:account_decide"), {"request": request.pk, "decision": "approve"})
    assert response.status_code == 400
    client.force_login(referent)
    response = client.post(reverse("membership:account_decide"), {"request": request.pk, "decision": "refuse"})
    assert response.status_code == 400 and "motif du refus" in response.content.decode()
    response = client.post(reverse("membership:account_decide"), {"request": request.pk, "decision": "approve"})
    assert response.status_code == 400 and "Indiquez le numéro RPPS du professionnel" in response.content.decode()
    professional = make_practising_professional(member.organisation)
    response = client.post(reverse("membership:account_decide"),
                           {"request": request.pk, "decision": "approve", "rpps": professional.rpps})
    request.refresh_from_db()
    assert response.status_code == 302 and request.status == "approved" and request.handled_by == referent
    assert request.account.email == "lina@test.invalid" and request.account.professional == professional


def test_portal_tile_leads_to_the_membership_home(client):
    client.force_login(make_user("agence@test.invalid", kind="agency"))
    html = client.get(reverse("portal:pro_home")).content.decode()
    assert f'href="{reverse("membership:home")}"' in html
