"""The signaling socket behind a real Daphne server (loopback): the refusal reaches a real
WebSocket client as a French error message and the close code."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from enrs.telehealth import rooms

from . import builders

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def asgi_server():
    from messaging.servers import shared_in_process_server

    return shared_in_process_server()


def test_not_invited_gets_4403_over_a_real_server(asgi_server, settings):
    from websockets.exceptions import ConnectionClosed

    from messaging.conftest import session_cookie
    from messaging.servers import run_scenario
    from messaging.wsclient import open_socket

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    doctor = builders.professional("hote")
    patient = builders.care(doctor, builders.patient(account=True))
    room, _token = rooms.create_teleconsultation(doctor, patient=patient, title="Suivi", opens_at=timezone.now(), duration_minutes=20)
    stranger = builders.professional("intrus")
    url = f"ws://127.0.0.1:{asgi_server.port}/ws/telesante/salle/{room.pk}/"

    async def scenario():
        socket = await open_socket(url, session_cookie(stranger))
        error = json.loads(await socket.recv())
        try:
            await socket.recv()
        except ConnectionClosed as closed:
            return error, closed.rcvd.code
        return error, None

    error, code = run_scenario(scenario())
    assert error == {"type": "error", "code": 4403, "message": "Vous n'êtes pas invité à cette salle."}
    assert code == 4403
