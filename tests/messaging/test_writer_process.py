"""The chat's writer process: what crosses to and from it must survive pickling, and the consumer uses it when told."""

from __future__ import annotations

import asyncio
import pickle
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from enrs.messaging import consumers, services, writer_process
from enrs.messaging.models import Conversation, Message
from enrs.messaging.services import ChatError, PostRequest

Kind = Conversation.Kind


def _store(requests):
    """Run the consumer's coroutine on a loop of its own thread (a browser test may have left one in this thread)."""
    with ThreadPoolExecutor(max_workers=1) as runner:
        return runner.submit(asyncio.run, consumers._store_batch(requests)).result()


@pytest.fixture
def group(doctor, nurse):
    return services.open_conversation(doctor, kind=Kind.GROUP, members=[nurse], title="Staff")


def test_a_batch_and_its_results_cross_the_process_boundary(group, doctor, outsider):
    requests = [
        PostRequest(doctor, group.pk, str(uuid.uuid4()), "Bonjour"),
        PostRequest(outsider, group.pk, str(uuid.uuid4()), "Je ne participe pas"),
    ]
    results = pickle.loads(pickle.dumps(writer_process.store_batch(pickle.loads(pickle.dumps(requests)))))
    (created, payload, text), refused = results
    assert created and payload["body"] == "Bonjour" and '"Bonjour"' in text
    assert isinstance(refused, ChatError) and "ne participez pas" in refused.messages[0]
    assert Message.objects.filter(conversation=group).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_consumer_stores_through_the_writer_pool_when_set(settings, monkeypatch, group, doctor):
    """The process pool is replaced by threads here (the test database is not visible to another process)."""
    settings.ENRS_CHAT_WRITER = "process"
    pool = ThreadPoolExecutor(max_workers=1)
    used = []
    monkeypatch.setattr(writer_process, "pool", lambda: used.append(True) or pool)
    request = PostRequest(doctor, group.pk, str(uuid.uuid4()), "Par le rédacteur")
    (result,) = _store([request])
    assert used and result[0] is True and Message.objects.get(body="Par le rédacteur")


def test_a_lost_writer_process_is_replaced_and_the_batch_refused_not_lost(settings, monkeypatch, group, doctor):
    from concurrent.futures.process import BrokenProcessPool

    from django.db import DatabaseError

    class DeadPool:
        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("the child died")

        def shutdown(self, **kwargs):
            pass

    settings.ENRS_CHAT_WRITER = "process"
    monkeypatch.setattr(writer_process, "_pool", DeadPool())
    request = PostRequest(doctor, group.pk, str(uuid.uuid4()), "Perdu ?")
    with pytest.raises(DatabaseError):  # the consumer answers "unavailable": the client retries with the same id
        _store([request])
    assert writer_process._pool is None and not Message.objects.filter(body="Perdu ?").exists()
