"""Coordination journey in a real browser: a GP adds a nurse and shares a lettre de liaison; the nurse
reads it; the patient sees it once it is marked visible; a discharge ADT notifies the GP."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from playwright.sync_api import expect
from pypdf import PdfWriter

from enrs.access import services as access_services
from enrs.accounts.models import User
from enrs.core.mllp import Frame
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory
from enrs.identity.hl7 import handle_frame
from enrs.identity.models import LocalIdentifier, Patient
from enrs.interfaces import services as interfaces

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "mot-de-passe-solide-1"
_numbers = itertools.count(700)
AUTHORITY_OID = "1.2.250.1.999.9.9"


def _professional(first: str, last: str, organisation, profession: str, email: str) -> tuple[User, str]:
    record = directory.upsert_professional({"rpps": luhn_complete(f"10{next(_numbers):08d}"), "first_name": first,
                                            "last_name": last, "profession_code": profession}).obj
    directory.upsert_situation(record, organisation, {"mode": "L"})
    user = User.objects.create_user(username=email, email=email, password=PASSWORD,
                                    kind="pro", first_name=first, last_name=last)
    directory.link_user(record, user)
    return user, record.rpps


def _pdf(path) -> str:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def region(service_catalogue, settings, tmp_path):
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    settings.STORAGES = {**settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "documents")}}}
    msp = directory.upsert_organisation({"finess": finess_complete(f"14{next(_numbers):06d}"), "finess_kind": "ET",
                                         "name": "Maison de santé du Bocage", "kind": "MSP", "college": "B"}).obj
    gp, _rpps = _professional("Julien", "Morel", msp, "10", "julien@test.invalid")
    nurse, nurse_rpps = _professional("Hélène", "Lefèvre", msp, "60", "helene@test.invalid")
    patient_user = User.objects.create_user(username="camille@test.invalid", email="camille@test.invalid", password=PASSWORD,
                                            kind="patient")
    patient = Patient.objects.create(birth_name="MARTIN", birth_first_names="Camille", birth_date=dt.date(1984, 3, 12), sex="F",
                                     user=patient_user)
    access_services.add_care_team_member(patient, gp, organisation=msp, role="Médecin traitant", referent=True)
    hospital = directory.upsert_organisation({"finess": finess_complete(f"14{next(_numbers):06d}"), "finess_kind": "EJ",
                                              "name": "CHU de Caen", "kind": "CH"}).obj
    interfaces.upsert_sender({"name": "GAM CHU", "sending_application": "GAM", "sending_facility": "CHU", "organisation": hospital,
                              "authority_oid": AUTHORITY_OID, "events": ["A01", "A03"]})
    LocalIdentifier.objects.create(patient=patient, authority=AUTHORITY_OID, value="IPP-J1")
    return {"nurse_rpps": nurse_rpps, "pdf": _pdf(tmp_path / "lettre-de-liaison.pdf")}


def log_in(page, base_url: str, entry: str, email: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("link", name=entry).click()
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()


def discharge() -> bytes:
    segments = ["MSH|^~\\&|GAM|CHU|ENRS|ARS|20260302143000||ADT^A03^ADT_A03|J-1|P|2.5|||||FRA|UNICODE UTF-8",
                "EVN|A03|20260302143000", f"PID|1||IPP-J1^^^CHU&{AUTHORITY_OID}&ISO^PI||MARTIN^Camille^^^^^L||19840312|F",
                "PV1|1|I|CARDIO^1^1"]
    return ("\r".join(segments) + "\r").encode()


def test_gp_nurse_patient_and_discharge(live_server, browser, region):
    pro = "Accéder à l'espace professionnel"
    gp_page = browser.new_context(locale="fr-FR").new_page()
    log_in(gp_page, live_server.url, pro, "julien@test.invalid")
    gp_page.goto(live_server.url + "/coordination/")
    gp_page.get_by_role("button", name="Ouvrir le dossier de Camille MARTIN").click()
    expect(gp_page.get_by_role("heading", level=1)).to_have_text("Camille MARTIN")

    gp_page.get_by_text("Ajouter un membre").click()
    gp_page.get_by_label("RPPS du professionnel").fill(region["nurse_rpps"])
    gp_page.get_by_label("Rôle dans l'équipe").fill("Infirmière libérale")
    gp_page.get_by_role("button", name="Ajouter à l'équipe").click()
    expect(gp_page.get_by_text("Le professionnel a rejoint l'équipe de soins.")).to_be_visible()
    expect(gp_page.get_by_text("Hélène Lefèvre", exact=True)).to_be_visible()

    gp_page.get_by_text("Déposer un document").click()
    gp_page.get_by_label("Fichier (PDF, CDA R2, JPEG, PNG ou texte)").set_input_files(region["pdf"])
    gp_page.get_by_label("Titre").fill("Lettre de liaison de sortie")
    gp_page.get_by_label("Type de document").select_option("11490-0")
    gp_page.get_by_label("Date de l'acte").fill("2026-03-01")
    gp_page.get_by_role("button", name="Déposer", exact=True).click()
    expect(gp_page.get_by_text("Document déposé.")).to_be_visible()
    record_url = gp_page.url

    nurse_page = browser.new_context(locale="fr-FR").new_page()
    log_in(nurse_page, live_server.url, pro, "helene@test.invalid")
    nurse_page.goto(live_server.url + "/coordination/")
    nurse_page.get_by_role("link", name="Camille MARTIN").click()
    expect(nurse_page.get_by_role("link", name="Lettre de liaison de sortie", exact=True)).to_be_visible()
    with nurse_page.expect_download() as download:
        nurse_page.get_by_role("link", name="Télécharger Lettre de liaison de sortie").click()
    assert download.value.suggested_filename == "lettre-de-liaison.pdf"

    patient_page = browser.new_context(locale="fr-FR").new_page()
    log_in(patient_page, live_server.url, "Accéder à l'espace patient", "camille@test.invalid")
    patient_page.get_by_role("link", name="Mes documents").first.click()
    expect(patient_page.get_by_text("Aucun document partagé avec vous pour l'instant.")).to_be_visible()

    gp_page.goto(record_url)
    gp_page.get_by_role("button", name="Rendre visible au patient : Lettre de liaison de sortie").click()
    expect(gp_page.get_by_text("Visibilité pour le patient mise à jour.")).to_be_visible()
    patient_page.reload()
    expect(patient_page.get_by_role("link", name="Lettre de liaison de sortie", exact=True)).to_be_visible()

    ack = handle_frame(Frame(discharge(), "127.0.0.1:1", "", "hl7-journey"))
    assert b"MSA|AA" in ack
    gp_page.goto(live_server.url + "/notifications/")
    expect(gp_page.get_by_role("link", name="Sortie d'hospitalisation : Camille MARTIN")).to_be_visible()
    gp_page.goto(record_url)
    expect(gp_page.get_by_text("Sortie d'hospitalisation").first).to_be_visible()
