"""Removing participants (and leaving): who may, whom, what stays, what the removed person loses."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from access.builders import make_professional
from enrs.core.models import AccessEvent, Notification
from enrs.messaging import selectors, services
from enrs.messaging.models import Conversation, Participant, ParticipantRemoval
from enrs.messaging.services import ChatError

Kind = Conversation.Kind


@pytest.fixture
def colleague(organisation):
    return make_professional(organisation, profession_code="60")


@pytest.fixture
def group(doctor, nurse, colleague):
    return services.open_conversation(doctor, kind=Kind.GROUP, members=[nurse, colleague], title="Staff")


@pytest.fixture
def with_patient(doctor, nurse, patient_account):
    from enrs.access import services as access_services

    access_services.add_care_team_member(patient_account[1], nurse)
    return services.open_conversation(doctor, kind=Kind.WITH_PATIENT, members=[nurse], patient=patient_account[1], title="Suivi")


def _members(conversation) -> set[int]:
    return set(Participant.objects.filter(conversation=conversation).values_list("user_id", flat=True))


def test_a_removed_participant_can_no_longer_read_write_nor_be_notified(group, doctor, nurse, colleague):
    services.post_message(doctor, group, client_id=uuid.uuid4(), body="avant")
    removal = services.remove_participant(doctor, group, colleague)
    assert _members(group) == {doctor.pk, nurse.pk}
    assert (removal.removed_by_id, removal.user_id, removal.left) == (doctor.pk, colleague.pk, False)
    with pytest.raises(Exception, match="ne participez pas"):
        selectors.conversation_for(colleague, group.pk, channel="web")
    with pytest.raises(ChatError, match="ne participez pas"):
        services.post_message(colleague, group, client_id=uuid.uuid4(), body="après mon retrait")
    assert [row.conversation.pk for row in selectors.conversations_of(colleague)] == []
    assert selectors.unread_total(colleague) == 0
    note = Notification.objects.get(recipient=colleague, title__contains="retiré")
    assert "vous a retiré" in note.body and note.link == "" and "avant" not in note.body
    told_of_messages = Notification.objects.filter(recipient=colleague, kind="messaging.message")
    before = told_of_messages.count()
    services.post_message(nurse, group, client_id=uuid.uuid4(), body="suite")
    assert told_of_messages.count() == before
    # The history stays: the messages, and who left when.
    assert [m.body for m in selectors.history(group)] == ["avant", "suite"]
    assert [r.user_id for r in selectors.removals(group)] == [colleague.pk]


def test_leaving_by_oneself_and_being_added_again(group, doctor, nurse, colleague):
    removal = services.remove_participant(nurse, group, nurse)
    assert removal.left and nurse.pk not in _members(group)
    assert not Notification.objects.filter(recipient=nurse, title__contains="retiré").exists()  # nobody tells you you left
    services.add_participants(doctor, group, [nurse])
    assert nurse.pk in _members(group)
    assert ParticipantRemoval.objects.filter(conversation=group, user=nurse).count() == 1


def test_who_may_remove_and_whom(group, doctor, nurse, colleague, outsider, with_patient, patient_account):
    patient_user, _patient = patient_account
    with pytest.raises(ChatError, match="Seul un professionnel participant"):
        services.remove_participant(outsider, group, nurse)
    with pytest.raises(ChatError, match="ne participe pas"):
        services.remove_participant(doctor, group, outsider)
    with pytest.raises(ChatError, match="Seul un professionnel participant"):
        services.remove_participant(patient_user, with_patient, nurse)  # the patient removes nobody, not even himself
    with pytest.raises(ChatError, match="Le patient ne peut pas être retiré"):
        services.remove_participant(doctor, with_patient, patient_user)
    services.remove_participant(doctor, with_patient, nurse)
    with pytest.raises(ChatError, match="Au moins un professionnel"):
        services.remove_participant(doctor, with_patient, doctor)  # the last professional stays: he alone closes
    services.remove_participant(doctor, group, colleague)
    with pytest.raises(ChatError, match="au moins deux participants"):
        services.remove_participant(doctor, group, nurse)
    assert _members(group) == {doctor.pk, nurse.pk}
    assert _members(with_patient) == {doctor.pk, patient_user.pk}


def test_not_from_a_direct_nor_a_closed_conversation(doctor, nurse, group, colleague):
    direct = services.open_conversation(doctor, kind=Kind.DIRECT, members=[nurse])
    with pytest.raises(ChatError, match="ne se réduit pas"):
        services.remove_participant(doctor, direct, nurse)
    services.close_conversation(doctor, group)
    with pytest.raises(ChatError, match="close") as refused:
        services.remove_participant(doctor, group, colleague)
    assert refused.value.code == "closed"
    assert _members(group) == {doctor.pk, nurse.pk, colleague.pk} and not ParticipantRemoval.objects.exists()


def test_the_screen_removes_is_trailed_and_shows_the_history(client, with_patient, doctor, nurse):
    client.force_login(doctor)
    url = reverse("messaging:remove_participant", args=[with_patient.pk, nurse.pk])
    page = client.get(reverse("messaging:conversation", args=[with_patient.pk])).content.decode()
    assert url in page and "Quitter la conversation" in page
    trail = AccessEvent.objects.filter(patient_id=with_patient.patient_id, object_type="messaging.PatientConversation")
    before = trail.count()
    response = client.post(url)
    assert response.status_code == 302 and nurse.pk not in _members(with_patient)
    assert trail.count() == before + 1
    page = client.get(reverse("messaging:conversation", args=[with_patient.pk])).content.decode()
    assert "Ont quitté la conversation" in page and "retiré par" in page
    client.force_login(nurse)
    assert client.get(reverse("messaging:conversation", args=[with_patient.pk])).status_code == 403


def test_refusals_on_the_screen_are_french_messages_not_errors(client, with_patient, doctor, patient_account, nurse):
    patient_user, _patient = patient_account
    client.force_login(doctor)
    response = client.post(reverse("messaging:remove_participant", args=[with_patient.pk, patient_user.pk]), follow=True)
    assert response.status_code == 200 and "Le patient ne peut pas être retiré" in response.content.decode()
    assert client.post(reverse("messaging:remove_participant", args=[with_patient.pk, 987654])).status_code == 404
    client.force_login(patient_user)
    page = client.get(reverse("messaging:conversation", args=[with_patient.pk])).content.decode()
    assert "Quitter la conversation" not in page
    response = client.post(reverse("messaging:remove_participant", args=[with_patient.pk, nurse.pk]), follow=True)
    assert "Seul un professionnel participant" in response.content.decode() and nurse.pk in _members(with_patient)


def test_leaving_on_the_screen_goes_back_to_the_inbox(client, group, nurse):
    client.force_login(nurse)
    response = client.post(reverse("messaging:remove_participant", args=[group.pk, nurse.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("messaging:inbox")
    assert nurse.pk not in _members(group)
