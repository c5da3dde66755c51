"""Chat rules: who opens, who writes, who closes; idempotent posting; receipts; unread; retention; trail."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from hypothesis import given, settings as hsettings, strategies as st

from enrs.core.models import AccessEvent
from enrs.messaging import selectors, services
from enrs.messaging.models import Conversation, Message
from enrs.messaging.services import ChatError

Kind = Conversation.Kind


def _post(user, conversation, body="bonjour", client_id=None):
    return services.post_message(user, conversation, client_id=client_id or uuid.uuid4(), body=body)


@pytest.fixture
def with_patient(doctor, nurse, patient_account):
    _user, patient = patient_account
    return services.open_conversation(doctor, kind=Kind.WITH_PATIENT, members=[nurse], patient=patient, title="Suivi")


def test_a_patient_cannot_open_a_conversation(patient_account, doctor):
    user, patient = patient_account
    with pytest.raises(ChatError, match="Seul un professionnel"):
        services.open_conversation(user, kind=Kind.DIRECT, members=[doctor])
    assert not Conversation.objects.exists()


def test_shapes_are_checked(doctor, nurse, patient_account):
    _user, patient = patient_account
    with pytest.raises(ChatError, match="exactement un autre"):
        services.open_conversation(doctor, kind=Kind.DIRECT, members=[])
    with pytest.raises(ChatError, match="Type de conversation inconnu"):
        services.open_conversation(doctor, kind="secret", members=[nurse])
    with pytest.raises(ChatError, match="patient concerné"):
        services.open_conversation(doctor, kind=Kind.PATIENT_RECORD, members=[nurse])
    with pytest.raises(ChatError, match="ne porte pas sur un patient"):
        services.open_conversation(doctor, kind=Kind.GROUP, members=[nurse], patient=patient)
    with pytest.raises(ChatError, match="n'est pas un professionnel"):
        services.open_conversation(doctor, kind=Kind.GROUP, members=[patient.user])
    assert not Conversation.objects.exists()


def test_opening_about_a_patient_needs_access_to_the_record(outsider, patient_account):
    _user, patient = patient_account
    with pytest.raises(ChatError, match="pas accès au dossier"):
        services.open_conversation(outsider, kind=Kind.WITH_PATIENT, patient=patient)


def test_messages_are_numbered_and_a_retry_is_stored_once(doctor, nurse):
    conversation = services.open_conversation(doctor, kind=Kind.DIRECT, members=[nurse])
    client_id = uuid.uuid4()
    first = _post(doctor, conversation, "un", client_id)
    retry = _post(doctor, conversation, "un", client_id)
    second = _post(nurse, conversation, "deux")
    assert first.created and not retry.created and retry.message.pk == first.message.pk
    assert [m.seq for m in selectors.history(conversation)] == [1, 2]
    assert Message.objects.count() == 2


def test_a_client_id_cannot_be_reused_in_another_conversation(doctor, nurse):
    a = services.open_conversation(doctor, kind=Kind.DIRECT, members=[nurse])
    b = services.open_conversation(doctor, kind=Kind.GROUP, members=[nurse])
    client_id = uuid.uuid4()
    _post(doctor, a, client_id=client_id)
    with pytest.raises(ChatError, match="autre conversation"):
        _post(doctor, b, client_id=client_id)


@pytest.mark.parametrize(
    ("body", "client_id", "message"),
    [("", None, "vide"), ("x" * 10_001, None, "dépasse"), ("ok", "pas-un-uuid", "UUID"), (42, None, "texte")],
)
def test_bad_messages_are_refused_in_french(doctor, nurse, body, client_id, message):
    conversation = services.open_conversation(doctor, kind=Kind.DIRECT, members=[nurse])
    with pytest.raises(ChatError, match=message):
        services.post_message(doctor, conversation, client_id=client_id or uuid.uuid4(), body=body)
    assert not Message.objects.exists()


def test_non_participants_cannot_post(doctor, nurse, outsider):
    conversation = services.open_conversation(doctor, kind=Kind.DIRECT, members=[nurse])
    with pytest.raises(ChatError, match="ne participez pas"):
        _post(outsider, conversation)


def test_the_patient_writes_while_open_and_only_a_professional_closes(with_patient, doctor, patient_account):
    user, _patient = patient_account
    assert _post(user, with_patient, "Merci docteur").created
    with pytest.raises(ChatError, match="Seul un professionnel participant"):
        services.close_conversation(user, with_patient)
    services.close_conversation(doctor, with_patient)
    with pytest.raises(ChatError, match="close") as refused:
        _post(user, with_patient, "encore une question")
    assert refused.value.code == "closed"
    with pytest.raises(ChatError, match="close"):
        _post(doctor, with_patient, "même le médecin")
    with pytest.raises(ChatError, match="déjà close"):
        services.close_conversation(doctor, with_patient)
    assert Message.objects.count() == 1


def test_read_receipts_and_unread_counters(with_patient, doctor, nurse, patient_account):
    user, _patient = patient_account
    for text in ("a", "b", "c"):
        _post(doctor, with_patient, text)
    assert selectors.unread_total(user) == 3 and selectors.unread_total(doctor) == 0
    assert services.mark_read(user, with_patient, 2) == 2
    assert services.mark_read(user, with_patient, 1) == 2  # never goes back
    assert services.mark_read(user, with_patient, 99) == 3  # capped at the last message
    assert selectors.unread_total(user) == 0 and selectors.unread_total(nurse) == 3
    third = selectors.history(with_patient)[-1]
    assert [p.user for p in selectors.read_by(with_patient, third)] == [user]
    rows = selectors.conversations_of(nurse)
    assert [(r.conversation.pk, r.unread) for r in rows] == [(with_patient.pk, 3)]


def test_one_notification_per_unread_streak_and_e_mail_for_the_patient_only(with_patient, doctor, patient_account, mailoutbox):
    from enrs.core.models import Notification

    user, _patient = patient_account
    _post(doctor, with_patient, "a")
    _post(doctor, with_patient, "b")
    assert Notification.objects.filter(recipient=user).count() == 1
    services.mark_read(user, with_patient, 2)
    _post(doctor, with_patient, "c")
    assert Notification.objects.filter(recipient=user).count() == 2
    assert "Merci" not in "".join(m.body for m in mailoutbox)  # no content in e-mails


def test_access_to_a_patient_conversation_is_trailed(with_patient, doctor):
    before = AccessEvent.objects.count()
    selectors.conversation_for(doctor, with_patient.pk, channel="web")
    event = AccessEvent.objects.order_by("pk").last()
    assert AccessEvent.objects.count() == before + 1
    assert event.patient_id == with_patient.patient_id and event.object_type == "messaging.PatientConversation"


def test_access_to_a_conversation_between_professionals_is_not_trailed(doctor, nurse, outsider):
    from django.core.exceptions import PermissionDenied

    conversation = services.open_conversation(doctor, kind=Kind.DIRECT, members=[nurse])
    before = AccessEvent.objects.count()
    selectors.conversation_for(nurse, conversation.pk, channel="web")
    assert AccessEvent.objects.count() == before
    with pytest.raises(PermissionDenied):
        selectors.conversation_for(outsider, conversation.pk, channel="web")


def test_purge_deletes_what_the_policy_says_and_nothing_else(settings, doctor, nurse, with_patient):
    settings.ENRS_MESSAGING_RETENTION_DAYS = {"default": 30, "patient": 10}
    direct = services.open_conversation(doctor, kind=Kind.DIRECT, members=[nurse])
    old = timezone.now() - dt.timedelta(days=20)
    for conversation in (direct, with_patient):
        _post(doctor, conversation, "ancien")
        _post(doctor, conversation, "récent")
        Message.objects.filter(conversation=conversation, seq=1).update(created_at=old)
    dry = services.purge_expired(dry_run=True)
    assert dry.messages == 1 and Message.objects.count() == 4
    assert services.purge_expired().messages == 1  # only the 20-day-old message of the patient conversation
    assert set(Message.objects.values_list("conversation__kind", "seq")) == {("direct", 1), ("direct", 2), ("patient", 2)}
    assert services.purge_expired().messages == 0  # idempotent


@hsettings(max_examples=30, deadline=None)
@given(ages=st.lists(st.integers(min_value=0, max_value=800), min_size=1, max_size=8), keep=st.integers(1, 400))
def test_purge_keeps_exactly_the_messages_younger_than_the_retention(django_db_blocker, ages, keep):
    """Property: after a purge, a message survives iff its age is under the retention."""
    from django.test.utils import override_settings

    from access.builders import make_professional

    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            a, b = make_professional(), make_professional()
            conversation = services.open_conversation(a, kind=Kind.DIRECT, members=[b])
            now = timezone.now()
            for age in ages:
                message = _post(a, conversation, f"{age}").message
                Message.objects.filter(pk=message.pk).update(created_at=now - dt.timedelta(days=age, hours=1))
            with override_settings(ENRS_MESSAGING_RETENTION_DAYS={"default": keep}):
                services.purge_expired(now=now)
            kept = sorted(int(body) for body in Message.objects.filter(conversation=conversation).values_list("body", flat=True))
            assert kept == sorted(age for age in ages if age < keep)
            transaction.set_rollback(True)


def test_a_batch_judges_each_message_on_its_own_and_commits_once(doctor, nurse, outsider):
    """The writer of the sockets stores batches (group commit): same rules, same results as one by one."""
    from enrs.core.models import Notification

    open_ = services.open_conversation(doctor, kind=Kind.DIRECT, members=[nurse])
    closed = services.open_conversation(doctor, kind=Kind.GROUP, members=[nurse])
    services.close_conversation(doctor, closed)
    retry = uuid.uuid4()
    R = services.PostRequest
    results = services.post_many([
        R(doctor, open_.pk, retry, "un"),
        R(nurse, open_.pk, uuid.uuid4(), "deux"),
        R(doctor, open_.pk, retry, "un (renvoyé)"),  # the same client id in the batch: the first copy
        R(outsider, open_.pk, uuid.uuid4(), "intrus"),
        R(doctor, closed.pk, uuid.uuid4(), "trop tard"),
        R(doctor, open_.pk, "pas-un-uuid", "x"),
        R(nurse, open_.pk, uuid.uuid4(), "trois"),
    ])  # fmt: skip
    ok = [r for r in results if not isinstance(r, ChatError)]
    assert [(r.message.seq, r.created) for r in ok] == [(1, True), (2, True), (1, False), (3, True)]
    assert results[2].message.pk == results[0].message.pk
    assert "ne participez pas" in str(results[3]) and results[4].code == "closed" and "UUID" in str(results[5])
    assert list(Message.objects.filter(conversation=open_).values_list("body", flat=True)) == ["un", "deux", "trois"]
    assert Conversation.objects.get(pk=open_.pk).last_seq == 3
    # Notified as one by one: the nurse by "un" (0 → 1 unread), the doctor by "deux"; "trois" finds the doctor
    # with one unread already (no second notification).
    assert Notification.objects.filter(recipient=nurse, kind="messaging.message").count() == 1
    assert Notification.objects.filter(recipient=doctor, kind="messaging.message").count() == 1
    # A retry in a later batch returns the stored copy.
    (again,) = services.post_many([R(doctor, open_.pk, retry, "un")])
    assert not again.created and again.message.seq == 1
