"""The teleconsultation "done means" journey: two Chromium contexts with fake camera and
microphone, a real Daphne server (HTTP + WebSocket signaling). The professional opens a room
from his screen, the patient follows the invitation link, consents, waits in the waiting room,
is admitted; each side then decodes the other's video (RTCPeerConnection.getStats())."""

from __future__ import annotations

import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAKE_MEDIA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture(scope="session")
def asgi_server():
    from messaging.servers import shared_in_process_server

    return shared_in_process_server()


@pytest.fixture
def media_browser(browser):
    """A second Chromium of the session's Playwright, launched with the fake media devices."""
    from .conftest import CHROMIUM, CHROMIUM_ARGS

    launched = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MEDIA)
    yield launched
    launched.close()


def _signed_in_page(browser, server, user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})  # a phone
    context.set_default_timeout(20_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}])
    page = context.new_page()
    page.csp_violations = []
    page.on("console", lambda m: page.csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
    return context, page


def _frames(page) -> dict:
    return page.evaluate("() => window.enrsVideoRoom.framesDecoded()")


def _wait_for_frames(pages, timeout=45.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        seen = [_frames(page) for page in pages]
        if all(frames and all(n > 0 for n in frames.values()) for frames in seen) or time.monotonic() > deadline:
            return seen
        pages[0].wait_for_timeout(500)


def test_teleconsultation_patient_waits_is_admitted_and_both_decode_video(media_browser, asgi_server, settings):
    from django.utils import timezone
    from playwright.sync_api import expect

    from access.builders import make_organisation, make_patient_account, make_professional
    from enrs.access import services as access_services
    from enrs.core.models import Notification
    from enrs.telehealth.models import ConsentRecord, RoomInvitation

    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    doctor = make_professional(make_organisation())
    patient_user, patient = make_patient_account()
    access_services.add_care_team_member(patient, doctor)

    pro_context, pro = _signed_in_page(media_browser, asgi_server, doctor)
    pat_context, pat = _signed_in_page(media_browser, asgi_server, patient_user)
    try:
        # The professional opens a teleconsultation from his screen.
        pro.goto(f"{asgi_server.url}/telesante/teleconsultation/")
        pro.get_by_label("Patient (numéro d'identité régionale)").fill(str(patient.pk))
        pro.get_by_label("Intitulé").fill("Suivi de l'hypertension")
        pro.get_by_label("Début (heure de Paris)").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
        pro.get_by_role("button", name="Ouvrir la salle").click()
        expect(pro.get_by_role("heading", level=1)).to_have_text("Suivi de l'hypertension")
        pro.get_by_role("button", name="Activer caméra et micro et rejoindre").click()
        expect(pro.locator("#room-status")).to_have_text("Vous êtes dans la salle.")

        # The patient follows the link of his invitation (its token is stored hashed only).
        link = Notification.objects.get(recipient=patient_user, kind="telehealth_room").link
        pat.goto(f"{asgi_server.url}{link}")
        expect(pat.get_by_role("heading", level=1)).to_have_text("Suivi de l'hypertension")
        pat.get_by_label("J'accepte la téléconsultation par vidéo").check()
        pat.get_by_role("button", name="Enregistrer ma décision").click()
        pat.get_by_role("button", name="Activer caméra et micro et rejoindre").click()
        expect(pat.locator("#room-status")).to_contain_text("salle d'attente")

        # The host sees him in the waiting room and lets him in.
        pro.get_by_role("button", name="Faire entrer").click()
        expect(pat.locator("#room-status")).not_to_contain_text("salle d'attente")

        pro_frames, pat_frames = _wait_for_frames([pro, pat])
        assert len(pro_frames) == 1 and list(pro_frames.values())[0] > 0, pro_frames
        assert len(pat_frames) == 1 and list(pat_frames.values())[0] > 0, pat_frames
        assert pro.csp_violations == [] and pat.csp_violations == []
    finally:
        pro_context.close()
        pat_context.close()
    assert ConsentRecord.objects.get().given
    assert RoomInvitation.objects.get(user=patient_user).used_at is not None


def test_third_participant_makes_a_full_mesh_of_three(media_browser, asgi_server, settings):
    """A nurse at the patient's side joins as a third party: three peers, each decoding two videos."""
    from django.utils import timezone
    from playwright.sync_api import expect

    from access.builders import make_organisation, make_patient_account, make_professional
    from enrs.access import services as access_services
    from enrs.telehealth import rooms

    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False
    doctor = make_professional(make_organisation())
    nurse = make_professional(make_organisation(), profession_code="60")
    patient_user, patient = make_patient_account()
    access_services.add_care_team_member(patient, doctor)
    room, _token = rooms.create_teleconsultation(doctor, patient=patient, title="Pansement", opens_at=timezone.now(), duration_minutes=20)
    rooms.record_consent(patient_user, room, given=True)
    rooms.invite(doctor, room, nurse, role="third", notify=False)

    contexts, pages = [], []
    try:
        # Every session is written before any page opens: the in-memory SQLite test database has
        # table locks, and a login written here while the server's sockets write would fail.
        for user in (doctor, patient_user, nurse):
            context, page = _signed_in_page(media_browser, asgi_server, user)
            contexts.append(context)
            pages.append(page)
        # One participant at a time, each settled before the next arrives (as the two-party
        # journey does): the SQLite test database has table locks and no busy wait.
        pro = pages[0]
        for index, page in enumerate(pages):
            page.goto(f"{asgi_server.url}/telesante/salle/{room.pk}/")
            page.get_by_role("button", name="Activer caméra et micro et rejoindre").click()
            if index == 0:
                expect(page.locator("#room-status")).to_have_text("Vous êtes dans la salle.")
                continue
            expect(page.locator("#room-status")).to_contain_text("salle d'attente")
            pro.get_by_role("button", name="Faire entrer").first.click()  # the host lets him in
            expect(page.locator("#room-status")).not_to_contain_text("salle d'attente")
        seen = _wait_for_frames(pages, timeout=60.0)
        for frames in seen:
            assert len(frames) == 2 and all(n > 0 for n in frames.values()), seen
    finally:
        for context in contexts:
            context.close()
