"""The chat WebSocket against a real Daphne server (in a thread of the test process)."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
import requests
from websockets.exceptions import InvalidStatus

from enrs.core.models import AccessEvent
from enrs.messaging import services
from enrs.messaging.models import Conversation, Message

from .conftest import session_cookie
from .servers import run_scenario
from .wsclient import open_socket, receive, send, subscribe

pytestmark = pytest.mark.django_db(transaction=True)
Kind = Conversation.Kind


@pytest.fixture
def conversation(doctor, nurse, patient_account):
    _user, patient = patient_account
    return services.open_conversation(doctor, kind=Kind.WITH_PATIENT, members=[nurse], patient=patient, title="Suivi")


class SignedInBrowser:
    """A user's HTTP session on the test server: the conversation page read once for its CSRF token, then form posts."""

    def __init__(self, server, user, conversation):
        self.server, self.http = server, requests.Session()
        self.http.cookies.set("sessionid", session_cookie(user).split("=", 1)[1])
        page = self.http.get(f"{server.url}/messagerie/{conversation.pk}/", timeout=20)
        assert page.status_code == 200
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    async def post(self, path: str) -> int:
        response = await asyncio.to_thread(
            self.http.post, f"{self.server.url}{path}", data={"csrfmiddlewaretoken": self.token},
            headers={"Referer": self.server.url + "/"}, allow_redirects=False, timeout=20,
        )  # fmt: skip
        return response.status_code


def test_messages_are_acknowledged_after_storage_and_fanned_out(asgi_server, conversation, doctor, patient_account):
    patient_user, _patient = patient_account
    trail_before = AccessEvent.objects.count()

    async def scenario():
        pro = await open_socket(asgi_server.ws_url, session_cookie(doctor))
        pat = await open_socket(asgi_server.ws_url, session_cookie(patient_user))
        await subscribe(pro, conversation.pk)
        await subscribe(pat, conversation.pk)
        client_id = str(uuid.uuid4())
        await send(pro, type="send", conversation=conversation.pk, client_id=client_id, body="Bonjour, comment allez-vous ?")
        ack = await receive(pro, "ack", client_id=client_id)
        stored = await asyncio.to_thread(lambda: Message.objects.filter(client_id=client_id).count())
        delivered = await receive(pat, "message", client_id=client_id)
        # The retry after a lost ack is answered with the same message, stored once, not re-broadcast.
        await send(pro, type="send", conversation=conversation.pk, client_id=client_id, body="Bonjour, comment allez-vous ?")
        retry = await receive(pro, "ack", client_id=client_id)
        await send(pat, type="read", conversation=conversation.pk, seq=delivered["seq"])
        receipt = await receive(pro, "receipt", user=patient_user.pk)
        await pro.close()
        await pat.close()
        return ack, stored, delivered, retry, receipt

    ack, stored, delivered, retry, receipt = run_scenario(scenario())
    assert stored == 1 and ack["seq"] == 1 and not ack["duplicate"]
    assert delivered["body"] == "Bonjour, comment allez-vous ?" and delivered["sender"] == doctor.pk
    assert retry["duplicate"] and retry["id"] == ack["id"] and Message.objects.count() == 1
    assert receipt["seq"] == 1
    # Two subscriptions to a patient conversation: two trail lines.
    assert AccessEvent.objects.count() - trail_before == 2


def test_closing_over_http_reaches_the_patient_who_can_no_longer_post(asgi_server, conversation, doctor, patient_account):
    patient_user, _patient = patient_account
    browser = SignedInBrowser(asgi_server, doctor, conversation)

    async def scenario():
        pat = await open_socket(asgi_server.ws_url, session_cookie(patient_user))
        await subscribe(pat, conversation.pk)
        status = await browser.post(f"/messagerie/{conversation.pk}/clore/")
        closed = await receive(pat, "closed", conversation=conversation.pk)
        client_id = str(uuid.uuid4())
        await send(pat, type="send", conversation=conversation.pk, client_id=client_id, body="Encore une question")
        error = await receive(pat, "error", client_id=client_id)
        await pat.close()
        return status, closed, error

    status, closed, error = run_scenario(scenario())
    assert status == 302 and closed["closed_by"] == doctor.pk
    assert error["code"] == "closed" and "close" in error["message"]
    assert not Message.objects.exists()


def test_outsiders_and_anonymous_sockets_get_nothing(asgi_server, conversation, outsider):
    async def scenario():
        try:
            await open_socket(asgi_server.ws_url)
            anonymous_status = 101
        except InvalidStatus as refused_handshake:  # closed before accept: the handshake is refused
            anonymous_status = refused_handshake.response.status_code
        spy = await open_socket(asgi_server.ws_url, session_cookie(outsider))
        await send(spy, type="subscribe", conversation=conversation.pk)
        refused = await receive(spy, "error")
        await send(spy, type="send", conversation=conversation.pk, client_id=str(uuid.uuid4()), body="x")
        not_subscribed = await receive(spy, "error")
        await send(spy, type="subscribe", conversation="1 OR 1=1")
        invalid = await receive(spy, "error")
        await spy.send("pas du JSON")
        await spy.close()
        return anonymous_status, refused, not_subscribed, invalid

    anonymous_status, refused, not_subscribed, invalid = run_scenario(scenario())
    assert anonymous_status == 403
    assert refused["code"] == "forbidden" and "ne participez pas" in refused["message"]
    assert not_subscribed["code"] == "invalid" and "Abonnez-vous" in not_subscribed["message"]
    assert invalid["code"] == "invalid"
    assert not Message.objects.exists()


def test_a_foreign_origin_is_refused(asgi_server, doctor):
    async def scenario():
        await open_socket(asgi_server.ws_url, session_cookie(doctor), origin="https://attaquant.example")

    with pytest.raises(InvalidStatus) as refused:
        run_scenario(scenario())
    assert refused.value.response.status_code == 403


def test_a_removed_participant_s_socket_stops_receiving_the_conversation(asgi_server, conversation, doctor, nurse):
    browser = SignedInBrowser(asgi_server, doctor, conversation)

    async def scenario():
        pro = await open_socket(asgi_server.ws_url, session_cookie(doctor))
        removed = await open_socket(asgi_server.ws_url, session_cookie(nurse))
        await subscribe(pro, conversation.pk)
        await subscribe(removed, conversation.pk)
        status = await browser.post(f"/messagerie/{conversation.pk}/participants/{nurse.pk}/retirer/")
        told = await receive(removed, "participant_removed", conversation=conversation.pk)
        seen_by_others = await receive(pro, "participant_removed", conversation=conversation.pk)
        after = str(uuid.uuid4())
        await send(pro, type="send", conversation=conversation.pk, client_id=after, body="Après le retrait")
        await receive(pro, "message", client_id=after)
        # The removed socket is unsubscribed: sending is refused and the message never reaches it.
        refused_id = str(uuid.uuid4())
        await send(removed, type="send", conversation=conversation.pk, client_id=refused_id, body="Je suis encore là ?")
        refused = await receive(removed, "error", client_id=refused_id)
        await send(removed, type="subscribe", conversation=conversation.pk)
        resubscribe = await receive(removed, "error")
        leaked = []
        try:
            while True:
                leaked.append(await asyncio.wait_for(removed.recv(), 0.5))
        except TimeoutError:
            pass
        await pro.close()
        await removed.close()
        return status, told, seen_by_others, refused, resubscribe, leaked

    status, told, seen, refused, resubscribe, leaked = run_scenario(scenario())
    assert status == 302 and told["user"] == nurse.pk and seen["user"] == nurse.pk and not told["left"]
    assert refused["code"] == "invalid" and "Abonnez-vous" in refused["message"]
    assert resubscribe["code"] == "forbidden"
    assert not [frame for frame in leaked if "Après le retrait" in frame]
    assert not Message.objects.filter(body="Je suis encore là ?").exists()
