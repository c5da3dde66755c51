"""Two Daphne processes sharing one Redis channel layer deliver each other's messages.

CI sets ENRS_TEST_REDIS_URL (a Redis database reserved for tests); locally the
default is database 13. Each run uses its own channel prefix.
"""

from __future__ import annotations

import os
import uuid

import pytest

from enrs.messaging import services
from enrs.messaging.models import Conversation

from .conftest import session_cookie
from .servers import DaphneProcess, SharedDatabase, run_scenario
from .wsclient import open_socket, receive, send, subscribe

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = os.environ.get("ENRS_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


def test_two_processes_deliver_each_others_messages(doctor, nurse, outsider):
    _redis_or_skip()
    conversation = services.open_conversation(doctor, kind=Conversation.Kind.GROUP, members=[nurse], title="Staff")
    cookies = {user.pk: session_cookie(user) for user in (doctor, nurse)}
    database = SharedDatabase()
    env = {"ENRS_CHANNEL_LAYER": "redis", "ENRS_CHANNEL_REDIS_URL": REDIS_URL, "ENRS_CHANNEL_PREFIX": f"t{uuid.uuid4().hex[:8]}"}
    first, second = DaphneProcess(database.url, env), DaphneProcess(database.url, env)
    try:
        first.wait()
        second.wait()

        async def scenario():
            on_first = await open_socket(first.ws_url, cookies[doctor.pk])
            on_second = await open_socket(second.ws_url, cookies[nurse.pk])
            await subscribe(on_first, conversation.pk)
            await subscribe(on_second, conversation.pk)
            ids = [str(uuid.uuid4()) for _ in range(2)]
            await send(on_first, type="send", conversation=conversation.pk, client_id=ids[0], body="Depuis le serveur 1")
            await receive(on_first, "ack", client_id=ids[0], timeout=20)
            got_on_second = await receive(on_second, "message", client_id=ids[0], timeout=20)
            await send(on_second, type="send", conversation=conversation.pk, client_id=ids[1], body="Depuis le serveur 2")
            got_on_first = await receive(on_first, "message", client_id=ids[1], timeout=20)
            await on_first.close()
            await on_second.close()
            return got_on_second, got_on_first

        try:
            got_on_second, got_on_first = run_scenario(scenario())
        except Exception as error:
            raise AssertionError(f"server logs:\n{first.logs()}\n---\n{second.logs()}") from error
        assert got_on_second["body"] == "Depuis le serveur 1" and got_on_second["sender"] == doctor.pk
        assert got_on_first["body"] == "Depuis le serveur 2" and got_on_first["sender"] == nurse.pk
        stored = database.count("SELECT COUNT(*) FROM messaging_message WHERE conversation_id = ?", (conversation.pk,))
        assert stored == 2
    finally:
        first.stop()
        second.stop()
        database.close()
