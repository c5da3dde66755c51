"""Secure chat journey in two browser contexts against a real ASGI server (Daphne, WebSockets):
the professional opens a conversation, the patient answers, the professional closes it,
the patient can no longer post."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def asgi_server():
    from messaging.servers import shared_in_process_server

    return shared_in_process_server()


def _signed_in_page(browser, server, user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})  # a phone
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}])
    page = context.new_page()
    page.csp_violations = []
    page.on("console", lambda m: page.csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
    return context, page


def test_professional_opens_patient_answers_professional_closes(browser, asgi_server, settings):
    from playwright.sync_api import expect

    from access.builders import make_organisation, make_patient_account, make_professional
    from enrs.access import services as access_services

    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    doctor = make_professional(make_organisation())
    patient_user, patient = make_patient_account()
    access_services.add_care_team_member(patient, doctor)

    pro_context, pro = _signed_in_page(browser, asgi_server, doctor)
    pat_context, pat = _signed_in_page(browser, asgi_server, patient_user)
    try:
        pro.goto(f"{asgi_server.url}/messagerie/nouvelle/")
        pro.get_by_label("Type de conversation").select_option("patient")
        pro.get_by_label("Objet").fill("Suivi après l'opération")
        pro.get_by_label("Patient concerné").select_option(str(patient.pk))
        pro.get_by_role("button", name="Ouvrir la conversation").click()
        expect(pro.get_by_role("heading", level=1)).to_have_text("Suivi après l'opération")
        expect(pro.locator(".chat[data-live='1']")).to_be_attached()
        pro.get_by_label("Votre message").fill("Bonjour, comment vous sentez-vous ?")
        pro.get_by_role("button", name="Envoyer").click()
        expect(pro.locator("#chat-messages")).to_contain_text("Bonjour, comment vous sentez-vous ?")

        pat.goto(f"{asgi_server.url}/messagerie/")
        pat.get_by_role("link", name="Suivi après l'opération").click()
        expect(pat.locator("#chat-messages")).to_contain_text("Bonjour, comment vous sentez-vous ?")
        expect(pat.get_by_role("button", name="Clore la conversation")).to_have_count(0)
        expect(pat.locator(".chat[data-live='1']")).to_be_attached()
        pat.get_by_label("Votre message").fill("Mieux, merci. La cicatrice tire un peu.")
        pat.get_by_role("button", name="Envoyer").click()

        # Live, without reloading: the professional sees the answer arrive over the WebSocket.
        expect(pro.locator("#chat-messages")).to_contain_text("La cicatrice tire un peu.")
        pro.get_by_role("button", name="Clore la conversation").click()
        expect(pro.locator("#chat-status")).to_contain_text("close")

        # The patient's open page learns it is closed and loses its form; after a reload too.
        expect(pat.locator("#chat-status")).to_contain_text("close")
        expect(pat.get_by_label("Votre message")).to_have_count(0)
        pat.reload()
        expect(pat.locator("#chat-status")).to_contain_text("close")
        expect(pat.get_by_label("Votre message")).to_have_count(0)
        assert pro.csp_violations == [] and pat.csp_violations == []
    finally:
        pro_context.close()
        pat_context.close()
    from enrs.messaging.models import Message

    assert list(Message.objects.order_by("seq").values_list("sender", flat=True)) == [doctor.pk, patient_user.pk]
