"""Journeys through the agendas in a real browser: a patient searches, books, receives the e-mail
(real SMTP server on loopback) and cancels; a GP books a reserved hospital slot for his patient and
the hospital unit sees who booked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from enrs.agenda import services
from enrs.agenda.models import Appointment, Motif
from enrs.offer import services as offer_services
from agenda.conftest import PASSWORD, make_agenda, make_organisation, make_patient, make_professional

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, email, next_url):
    page.goto(f"{live_server.url}/comptes/login/?next={next_url}")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(live_server.url + next_url)


def test_patient_searches_books_gets_the_email_and_cancels(live_server, page, service_catalogue, smtp_server):
    offer_services.load_communes([{"insee": "14118", "name": "Caen", "postal_code": "14000", "latitude": 49.1829, "longitude": -0.3707}])
    organisation = make_organisation()
    professional, _user = make_professional(organisation)
    make_agenda(organisation, professional)
    make_patient("louise.durand@test.invalid")

    _login(page, live_server, "louise.durand@test.invalid", "/rdv/")
    page.get_by_label("Spécialité").select_option("SM04")
    page.get_by_label("Commune ou code INSEE").fill("Caen")
    page.get_by_label("Distance").select_option("30")
    page.get_by_role("main").get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("status")).to_contain_text("1 agenda avec des disponibilités")
    page.get_by_role("link", name="Dr Martin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dr Martin")
    page.get_by_role("link", name="Semaine suivante").click()
    first_slot = page.locator(".slot-day button").first
    expect(first_slot).to_have_text("08:00")
    first_slot.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer le rendez-vous")
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(page.get_by_role("alert")).to_contain_text("Cochez la case")  # nothing confirmed without consent
    page.get_by_label("Je confirme ce rendez-vous").check()
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes rendez-vous")
    expect(page.get_by_role("main")).to_contain_text("Dr Martin")

    [confirmation] = [m for m in smtp_server if "confirmé" in str(m["Subject"])]
    assert confirmation["To"] == "louise.durand@test.invalid"
    assert any(part.get_content_type() == "text/calendar" for part in confirmation.iter_attachments())

    page.get_by_text("Annuler ce rendez-vous").click()
    page.get_by_label("Motif de l'annulation").fill("Empêchement professionnel")
    page.get_by_role("button", name="Confirmer l'annulation").click()
    expect(page.get_by_text("Le rendez-vous est annulé.")).to_be_visible()
    expect(page.get_by_text("Aucun rendez-vous à venir.")).to_be_visible()
    assert Appointment.objects.get().status == Appointment.Status.CANCELLED
    assert any("annulé" in str(m["Subject"]) for m in smtp_server)
    assert page.csp_violations == []


def test_gp_books_a_reserved_hospital_slot(live_server, page, service_catalogue, settings):
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    hospital = make_organisation("CHU de Caen — Cardiologie")
    practice = make_organisation("Cabinet du Dr Lebrun", kind="CABINET", city="Bayeux")
    circuit = services.create_circuit("Filière insuffisance cardiaque", [hospital, practice])
    make_professional(hospital, email="cardio@test.invalid")
    make_professional(practice, "Lebrun", "Paul", specialty="SM54", email="lebrun@test.invalid")
    agenda, _reserved = make_agenda(hospital, audience=Motif.Audience.CIRCUIT, circuit=circuit, published=False)

    _login(page, live_server, "lebrun@test.invalid", "/rdv/pro/")
    page.get_by_role("link", name="CHU de Caen — Cardiologie — Consultation").click()
    page.locator("input[name=start]").first.check()
    page.get_by_label("Patient (nom, prénom, date de naissance)").fill("DURAND Louise 02/03/1950")
    page.get_by_label("Information pour l'équipe qui reçoit").fill("Bilan d'insuffisance cardiaque")
    page.get_by_role("button", name="Réserver pour mon patient").click()
    expect(page.get_by_text("Rendez-vous réservé pour DURAND Louise 02/03/1950.")).to_be_visible()
    booked = Appointment.objects.get()
    assert booked.booked_by_organisation == practice

    page.context.clear_cookies()
    _login(page, live_server, "cardio@test.invalid", "/rdv/pro/")
    page.goto(f"{live_server.url}/rdv/pro/agenda/{agenda.pk}/?jour={booked.start.astimezone().date().isoformat()}")
    table = page.get_by_role("table")
    expect(table).to_contain_text("DURAND Louise 02/03/1950")
    expect(table).to_contain_text("Cabinet du Dr Lebrun")
    expect(table).to_contain_text("Bilan d'insuffisance cardiaque")
    assert page.csp_violations == []
