"""Video rooms: invitations (hashed tokens, expiry), consent, the waiting room and the signaling
consumer's refusals, driven with Channels' WebsocketCommunicator (in-memory channel layer)."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ValidationError
from django.utils import timezone

from enrs.core.models import AccessEvent
from enrs.telehealth import rooms
from enrs.telehealth.models import RoomInvitation, RoomPresence, VideoRoom
from enrs.telehealth.routing import websocket_urlpatterns

from messaging.servers import run_scenario  # tests/ is on sys.path (rootdir conftest)

from . import builders

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _layers(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def setting():
    doctor = builders.professional("docteur")
    patient = builders.care(doctor, builders.patient(account=True))
    room, token = rooms.create_teleconsultation(doctor, patient=patient, title="Suivi tension", opens_at=timezone.now(),
                                                duration_minutes=20)
    return doctor, patient, room, token


def communicator(user, room_id):
    socket = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/telesante/salle/{room_id}/")
    socket.scope["user"] = user
    return socket


async def expect(socket, kind, timeout=3):
    while True:
        message = await socket.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


async def refused(user, room_id):
    socket = communicator(user, room_id)
    connected, _ = await socket.connect()
    assert connected  # accepted, then told why, then closed with the code
    error = await socket.receive_json_from()
    closing = await socket.receive_output()
    return error, closing


def test_token_is_stored_hashed_and_bound_to_its_user(setting):
    doctor, patient, room, token = setting
    invitation = room.invitations.get(user=patient.user)
    assert invitation.token_sha256 == rooms.hash_token(token) and token not in invitation.token_sha256
    assert not RoomInvitation.objects.filter(token_sha256=token).exists()
    assert rooms.redeem(patient.user, room.pk, token).used_at is None  # refreshed object is the pre-update one
    assert room.invitations.get(user=patient.user).used_at is not None
    with pytest.raises(rooms.RoomRefusal) as refusal:
        rooms.redeem(doctor, room.pk, token)  # the patient's link does not open for another account
    assert refusal.value.code == rooms.NOT_INVITED
    _new, renewed = rooms.invite(doctor, room, patient.user)
    with pytest.raises(rooms.RoomRefusal):
        rooms.redeem(patient.user, room.pk, token)  # renewing the invitation kills the old link
    assert rooms.redeem(patient.user, room.pk, renewed)


def test_room_creation_is_checked(setting):
    doctor, patient, _room, _token = setting
    stranger = builders.professional("etranger")
    with pytest.raises(Exception, match="accès|patient"):
        rooms.create_teleconsultation(stranger, patient=patient, title="x", opens_at=timezone.now(), duration_minutes=20)
    no_account = builders.care(doctor, builders.patient())
    with pytest.raises(ValidationError, match="compte patient"):
        rooms.create_teleconsultation(doctor, patient=no_account, title="x", opens_at=timezone.now(), duration_minutes=20)
    with pytest.raises(ValidationError, match="durée"):
        rooms.create_teleconsultation(doctor, patient=patient, title="x", opens_at=timezone.now(), duration_minutes=600)


def test_not_invited_is_refused_with_4403(setting):
    _doctor, _patient, room, _token = setting
    stranger = builders.professional("intrus")
    error, closing = run_scenario(refused(stranger, room.pk))
    assert error["code"] == 4403 and error["message"] == "Vous n'êtes pas invité à cette salle."
    assert closing == {"type": "websocket.close", "code": 4403}
    error, closing = run_scenario(refused(stranger, 999999))
    assert closing["code"] == 4403


def test_anonymous_socket_is_refused_with_4401(setting):
    from django.contrib.auth.models import AnonymousUser

    _doctor, _patient, room, _token = setting
    error, closing = run_scenario(refused(AnonymousUser(), room.pk))
    assert error["code"] == 4401 and "Connectez-vous" in error["message"] and closing["code"] == 4401


def test_expired_link_is_refused_with_4410(setting):
    _doctor, patient, room, _token = setting
    VideoRoom.objects.filter(pk=room.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    error, closing = run_scenario(refused(patient.user, room.pk))
    assert error["code"] == 4410 and "expiré" in error["message"] and closing["code"] == 4410


def test_waiting_room_consent_admission_and_relay(setting):
    doctor, patient, room, _token = setting
    trail_before = AccessEvent.objects.filter(object_type="telehealth.VideoRoom").count()

    async def scenario():
        host = communicator(doctor, room.pk)
        await host.connect()
        host_hello = await expect(host, "hello")
        guest = communicator(patient.user, room.pk)
        await guest.connect()
        guest_hello = await expect(guest, "hello")
        waiting = await expect(host, "waiting")
        while not waiting["peers"]:
            waiting = await expect(host, "waiting")
        # Before admission the patient relays nothing.
        await guest.send_json_to({"type": "join"})
        blocked = await expect(guest, "error")
        # No consent yet: the host cannot admit.
        await host.send_json_to({"type": "admit", "to": guest_hello["peer"]})
        no_consent = await expect(host, "error")
        from channels.db import database_sync_to_async

        await database_sync_to_async(rooms.record_consent)(patient.user, room, given=True)
        await host.send_json_to({"type": "admit", "to": guest_hello["peer"]})
        await expect(guest, "admitted")
        await guest.send_json_to({"type": "join"})
        joined = await expect(host, "join")
        await host.send_json_to({"type": "offer", "to": guest_hello["peer"], "payload": {"description": {"type": "offer", "sdp": "v=0"}}})
        offer = await expect(guest, "offer")
        await guest.send_json_to({"type": "ice", "to": host_hello["peer"], "payload": {"candidate": None}})
        ice = await expect(host, "ice")
        await guest.disconnect()
        left = await expect(host, "leave")
        await host.disconnect()
        return host_hello, guest_hello, waiting, blocked, no_consent, joined, offer, ice, left

    host_hello, guest_hello, waiting, blocked, no_consent, joined, offer, ice, left = run_scenario(scenario())
    assert host_hello["live"] and host_hello["role"] == "host"
    assert not guest_hello["live"] and waiting["peers"][0]["peer"] == guest_hello["peer"]
    assert "salle d'attente" in blocked["message"]
    assert "consentement" in no_consent["message"]
    assert joined["from"] == guest_hello["peer"]
    assert offer["from"] == host_hello["peer"] and offer["payload"]["description"]["sdp"] == "v=0"
    assert ice["from"] == guest_hello["peer"] and left["from"] == guest_hello["peer"]
    assert RoomPresence.objects.count() == 0
    assert room.invitations.get(user=patient.user).admitted_at is not None
    # Each socket entry and the consent are accesses to the patient's teleconsultation: trailed.
    trail = AccessEvent.objects.filter(object_type="telehealth.VideoRoom")
    assert trail.count() - trail_before == 3 and set(trail.values_list("patient_id", flat=True)) == {patient.pk}


def test_seventh_participant_is_refused_mesh_limit(setting):
    doctor, patient, room, _token = setting
    others = [builders.professional(f"confrere{i}") for i in range(5)]
    for other in others:
        rooms.invite(doctor, room, other, role="guest", notify=False)

    async def scenario():
        sockets = []
        for user in [doctor, patient.user, *others[:4]]:
            socket = communicator(user, room.pk)
            await socket.connect()
            await expect(socket, "hello")
            sockets.append(socket)
        error, closing = await refused(others[4], room.pk)
        # The same user in a second tab does not count twice.
        again = communicator(doctor, room.pk)
        await again.connect()
        hello = await expect(again, "hello")
        for socket in [*sockets, again]:
            await socket.disconnect()
        return error, closing, hello

    error, closing, hello = run_scenario(scenario())
    assert error["code"] == 4429 and "6 participants" in error["message"] and closing["code"] == 4429
    assert hello["live"]


def test_turn_credentials_follow_coturn_rest_scheme(settings, setting):
    import base64
    import hashlib
    import hmac

    doctor, *_ = setting
    settings.ENRS_WEBRTC_ICE_SERVERS = [{"urls": ["stun:turn.region.test:3478"]}, {"urls": "turn:turn.region.test:3478?transport=udp"}]
    settings.ENRS_TURN_SECRET = "secret-partage"
    stun, turn = rooms.ice_servers(doctor, now=1_000_000)
    assert "username" not in stun
    assert turn["username"] == f"1003600:{doctor.pk}"
    expected = base64.b64encode(hmac.new(b"secret-partage", turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    settings.ENRS_TURN_SECRET = ""
    assert rooms.ice_servers(doctor) == settings.ENRS_WEBRTC_ICE_SERVERS


@pytest.fixture
def documents_store(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "docs")}},
    }


def test_closing_puts_the_report_in_the_coordination_record_and_records_the_act(setting, documents_store):
    from decimal import Decimal

    from enrs.coordination import selectors as coordination_selectors
    from enrs.telehealth import closing
    from enrs.telehealth.models import Act

    doctor, patient, room, _token = setting
    rooms.record_consent(patient.user, room, given=True)
    shared = closing.share_document(patient.user, room, name="ordonnance.png", data=builders.png())
    assert shared.media_type == "image/png"
    with pytest.raises(ValidationError, match="document"):
        closing.share_document(patient.user, room, name="x.pdf", data=b"pas un pdf")
    with pytest.raises(ValidationError, match="Conclusion"):
        closing.close_teleconsultation(doctor, room, template_code="teleconsultation", fields={"reason": "HTA"})
    with pytest.raises(ValidationError, match="TCG"):
        closing.close_teleconsultation(doctor, room, template_code="teleconsultation", billing_code="XX",
                                       fields={"reason": "HTA", "conclusion": "Poursuite"})
    assert not Act.objects.exists()
    closed = closing.close_teleconsultation(doctor, room, template_code="teleconsultation",
                                            fields={"reason": "Suivi HTA", "findings": "PA 13/8", "conclusion": "Poursuite du traitement"})
    record = coordination_selectors.record_of(patient)
    document = coordination_selectors.documents(record, doctor).get(pk=closed.document_id)
    assert document.type_code == "11488-4" and document.media_type == "application/pdf"
    act = closed.act
    assert (act.kind, act.billing_code, act.amount, act.amount_unconfirmed) == ("teleconsultation", "TCG", Decimal("30.00"), True)
    room.refresh_from_db()
    assert room.status == VideoRoom.Status.ENDED
    with pytest.raises(ValidationError, match="déjà close"):
        closing.close_teleconsultation(doctor, room, template_code="teleconsultation", fields={"reason": "x", "conclusion": "y"})
    # The room is closed: the link expired.
    with pytest.raises(rooms.RoomRefusal) as refusal:
        rooms.entry_invitation(patient.user, room)
    assert refusal.value.code == rooms.EXPIRED


def test_mssante_refusal_leaves_the_close_done(setting, documents_store, settings):
    from enrs.telehealth import closing

    settings.ENRS_MSSANTE_HOST = ""  # no operator configured: the messaging service refuses in French
    doctor, patient, room, _token = setting
    closed = closing.close_teleconsultation(doctor, room, template_code="teleconsultation", mssante_to="dr.x@hopital.mssante.fr",
                                            fields={"reason": "Suivi", "conclusion": "RAS"})
    assert closed.dispatch_status.startswith("refused") and closed.report.pk and closed.act.pk


def test_closing_is_for_the_host_only(setting, documents_store):
    from django.core.exceptions import PermissionDenied

    from enrs.telehealth import closing

    doctor, patient, room, _token = setting
    with pytest.raises(PermissionDenied):
        closing.close_teleconsultation(patient.user, room, template_code="teleconsultation", fields={"reason": "x", "conclusion": "y"})


def test_synchronous_expertise_and_meeting_rooms_use_the_same_machinery():
    from django.core.exceptions import PermissionDenied

    from enrs.telehealth import services

    gp = builders.professional("requerant")
    dermato = builders.professional("requis", specialty="SM15")
    patient = builders.care(gp, builders.patient("GRAIN"))
    request = services.send_expertise_request(gp, patient=patient, question="Exérèse ?", clinical_context="Naevus", expert=dermato)
    with pytest.raises(ValidationError, match="acceptée"):
        rooms.room_for_expertise(gp, request)
    services.accept_expertise(dermato, request)
    room = rooms.room_for_expertise(dermato, request)
    assert room.kind == VideoRoom.Kind.EXPERTISE and room.max_participants == 2
    assert set(room.invitations.values_list("user", "role")) == {(dermato.pk, "host"), (gp.pk, "guest")}
    assert rooms.room_for_expertise(gp, request) == room  # the same open room for the other party
    assert rooms.entry_invitation(gp, room).role == "guest"

    participants = [builders.professional(f"rcp{i}") for i in range(3)]
    meeting = services.schedule_meeting(gp, kind="rcp", title="RCP dermatologie", scheduled_at=timezone.now(), participants=participants)
    with pytest.raises(PermissionDenied):
        rooms.room_for_meeting(participants[0], meeting)
    meeting_room = rooms.room_for_meeting(gp, meeting)
    assert meeting_room.kind == VideoRoom.Kind.MEETING and meeting_room.invitations.count() == 4
    # Colleagues of a meeting enter without the waiting room.
    assert all(i.admitted_at for i in meeting_room.invitations.all())
