"""Adding participants to an open conversation: who may, whom, around a patient, trail, notifications, form."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from access.builders import make_professional
from enrs.core.models import AccessEvent, Notification
from enrs.messaging import selectors, services
from enrs.messaging.models import Conversation, Participant
from enrs.messaging.services import ChatError

Kind = Conversation.Kind


@pytest.fixture
def colleague(organisation):
    return make_professional(organisation, profession_code="60")


@pytest.fixture
def group(doctor, nurse):
    return services.open_conversation(doctor, kind=Kind.GROUP, members=[nurse], title="Staff")


@pytest.fixture
def with_patient(doctor, patient_account):
    return services.open_conversation(doctor, kind=Kind.WITH_PATIENT, patient=patient_account[1], title="Suivi")


def test_a_professional_participant_adds_a_colleague_who_sees_the_history(group, doctor, nurse, colleague):
    services.post_message(doctor, group, client_id=uuid.uuid4(), body="avant l'ajout")
    added = services.add_participants(nurse, group, [colleague])
    participation = Participant.objects.get(conversation=group, user=colleague)
    assert [p.user_id for p in added] == [colleague.pk]
    assert participation.added_by_id == nurse.pk and participation.last_read_seq == 1  # nothing unread on joining
    assert [m.body for m in selectors.history(selectors.conversation_for(colleague, group.pk, channel="web"))] == [
        "avant l'ajout"
    ]
    note = Notification.objects.get(recipient=colleague, kind="messaging.participant")
    assert "vous a ajouté" in note.body and "avant l'ajout" not in note.body
    services.post_message(doctor, group, client_id=uuid.uuid4(), body="après")  # the newcomer is notified of new messages
    assert Notification.objects.filter(recipient=colleague, kind="messaging.message").count() == 1


def test_who_may_add_and_whom(group, doctor, nurse, colleague, outsider, patient_account):
    patient_user, _patient = patient_account
    with pytest.raises(ChatError, match="Seul un professionnel participant"):
        services.add_participants(outsider, group, [colleague])  # not a participant
    with pytest.raises(ChatError, match="participe déjà"):
        services.add_participants(doctor, group, [nurse])
    with pytest.raises(ChatError, match="n'est pas un professionnel"):
        services.add_participants(doctor, group, [patient_user])
    with pytest.raises(ChatError, match="au moins un participant"):
        services.add_participants(doctor, group, [])
    with pytest.raises(ChatError, match="participe déjà"):  # all or nothing: the colleague is not added either
        services.add_participants(doctor, group, [colleague, nurse])
    assert not Participant.objects.filter(conversation=group, user=colleague).exists()


def test_not_to_a_direct_nor_a_closed_conversation(doctor, nurse, colleague, group):
    direct = services.open_conversation(doctor, kind=Kind.DIRECT, members=[nurse])
    with pytest.raises(ChatError, match="ouvrez un groupe"):
        services.add_participants(doctor, direct, [colleague])
    services.close_conversation(doctor, group)
    with pytest.raises(ChatError, match="close") as refused:
        services.add_participants(doctor, group, [colleague])
    assert refused.value.code == "closed"
    assert Participant.objects.filter(user=colleague).count() == 0


def test_around_a_patient_the_newcomer_must_reach_the_record(with_patient, doctor, patient_account, outsider, colleague):
    from enrs.access import services as access_services

    patient_user, patient = patient_account
    with pytest.raises(ChatError, match="pas accès au dossier"):
        services.add_participants(doctor, with_patient, [outsider])
    with pytest.raises(ChatError, match="Seul un professionnel participant"):
        services.add_participants(patient_user, with_patient, [doctor])  # the patient never adds anyone
    access_services.add_care_team_member(patient, colleague)
    services.add_participants(doctor, with_patient, [colleague])
    assert Participant.objects.filter(conversation=with_patient, user=colleague, is_patient=False).exists()


def test_the_form_adds_and_is_trailed_around_a_patient(client, with_patient, doctor, colleague, patient_account):
    from enrs.access import services as access_services

    access_services.add_care_team_member(patient_account[1], colleague)
    client.force_login(doctor)
    page = client.get(reverse("messaging:conversation", args=[with_patient.pk])).content.decode()
    assert reverse("messaging:add_participants", args=[with_patient.pk]) in page
    before = AccessEvent.objects.filter(patient_id=with_patient.patient_id, object_type="messaging.PatientConversation").count()
    response = client.post(reverse("messaging:add_participants", args=[with_patient.pk]), {"members": colleague.email})
    assert response.status_code == 302
    assert Participant.objects.filter(conversation=with_patient, user=colleague).exists()
    assert AccessEvent.objects.filter(patient_id=with_patient.patient_id, object_type="messaging.PatientConversation").count() == before + 1


MALFORMED = {
    "empty": {},
    "unknown fields": {"zzz": "1"},
    "overlong": {"members": "x" * 5000},
    "control characters": {"members": "\x00@x"},
    "unknown address": {"members": "personne@nulle-part.invalid"},
}


def test_malformed_input_adds_nobody_and_says_why_in_french(client, group, doctor):
    client.force_login(doctor)
    count = Participant.objects.count()
    for label, payload in MALFORMED.items():
        response = client.post(reverse("messaging:add_participants", args=[group.pk]), payload)
        text = response.content.decode()
        assert response.status_code == 400, label
        assert 'role="alert"' in text or 'class="errorlist' in text, label
        assert Participant.objects.count() == count, label
    text = client.post(reverse("messaging:add_participants", args=[group.pk]), {"members": doctor.email}).content.decode()
    assert "participe déjà" in text


def test_a_patient_sees_no_add_form_and_cannot_post_it(client, with_patient, patient_account, colleague):
    patient_user, _patient = patient_account
    client.force_login(patient_user)
    page = client.get(reverse("messaging:conversation", args=[with_patient.pk])).content.decode()
    assert reverse("messaging:add_participants", args=[with_patient.pk]) not in page
    response = client.post(reverse("messaging:add_participants", args=[with_patient.pk]), {"members": colleague.email})
    assert response.status_code in (400, 403)
    assert not Participant.objects.filter(user=colleague).exists()
