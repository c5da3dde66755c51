"""The HTTP screens (the WebSocket's fallback), and malformed input on the routes bound to one object."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrs.messaging import demandes, services
from enrs.messaging.models import Attachment, Conversation, Message, Request, RequestComment, Team

Kind = Conversation.Kind
MALFORMED = {
    "empty": {},
    "unknown fields": {"zzz": "1", "__proto__": "x"},
    "overlong": {"body": "x" * 20_000, "client_id": "x" * 500, "status": "z" * 500, "note": "n" * 6000},
    "control characters": {"body": "\x00", "client_id": "\x00", "status": "\x00", "assignee": "\x00@x"},
}


@pytest.fixture
def with_patient(doctor, nurse, patient_account):
    return services.open_conversation(doctor, kind=Kind.WITH_PATIENT, members=[nurse], patient=patient_account[1])


@pytest.fixture
def a_request(doctor, nurse, organisation, patient_account):
    team = Team.objects.create(name="Équipe", organisation=organisation)
    team.members.add(nurse)
    request_type = demandes.save_request_type(code="t", label="T", fields=[], about_patient=True)
    return demandes.create_request(doctor, request_type, {}, to_team=team, patient=patient_account[1])


def _french_error(response) -> str:
    text = response.content.decode()
    assert response.status_code == 400, response.status_code
    assert 'role="alert"' in text or 'class="errorlist' in text
    return text


def test_the_professional_opens_a_conversation_by_form(client, doctor, nurse, patient_account):
    client.force_login(doctor)
    response = client.post(reverse("messaging:new_conversation"), {
        "kind": "patient", "title": "Suivi post-opératoire", "members": nurse.email, "patient": patient_account[1].pk,
    })  # fmt: skip
    conversation = Conversation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("messaging:conversation", args=[conversation.pk])
    assert set(conversation.participants.values_list("user", flat=True)) == {doctor.pk, nurse.pk, patient_account[0].pk}


def test_a_patient_cannot_open_one(client, patient_account, doctor):
    client.force_login(patient_account[0])
    assert client.get(reverse("messaging:new_conversation")).status_code == 403
    assert client.post(reverse("messaging:new_conversation"), {"kind": "direct", "members": doctor.email}).status_code == 403
    assert not Conversation.objects.exists()


def test_unknown_participants_are_named(client, doctor):
    client.force_login(doctor)
    text = _french_error(client.post(reverse("messaging:new_conversation"), {"kind": "group", "members": "inconnu@nulle.part"}))
    assert "inconnu@nulle.part" in text


def test_posting_by_form_then_closing_then_the_patient_is_refused(client, with_patient, doctor, patient_account):
    patient_user = patient_account[0]
    client.force_login(patient_user)
    page = client.get(reverse("messaging:conversation", args=[with_patient.pk]))
    assert page.status_code == 200 and "Clore la conversation" not in page.content.decode()
    response = client.post(reverse("messaging:post_message", args=[with_patient.pk]),
                           {"client_id": str(uuid.uuid4()), "body": "J'ai encore mal"})  # fmt: skip
    assert response.status_code == 302 and Message.objects.get().body == "J'ai encore mal"
    assert client.post(reverse("messaging:close", args=[with_patient.pk])).status_code == 302
    assert Conversation.objects.get().is_open  # the patient cannot close
    client.force_login(doctor)
    client.post(reverse("messaging:close", args=[with_patient.pk]))
    client.force_login(patient_user)
    text = _french_error(client.post(reverse("messaging:post_message", args=[with_patient.pk]),
                                     {"client_id": str(uuid.uuid4()), "body": "Et maintenant ?"}))  # fmt: skip
    assert "close" in text and "Et maintenant ?" not in Message.objects.values_list("body", flat=True)


def test_attachments_are_checked_and_served_to_participants_only(client, with_patient, doctor, outsider, settings):
    settings.ENRS_UPLOAD_MAX_BYTES = 2_000
    client.force_login(doctor)
    url = reverse("messaging:post_message", args=[with_patient.pk])
    refused = _french_error(client.post(url, {"client_id": str(uuid.uuid4()), "body": "gros fichier",
                                              "attachment": SimpleUploadedFile("gros.txt", b"a" * 5_000)}))  # fmt: skip
    assert "gros fichier" in refused  # what the user typed is shown back, not lost
    assert not Attachment.objects.exists() and not Message.objects.exists()
    client.post(url, {"client_id": str(uuid.uuid4()), "body": "", "attachment": SimpleUploadedFile("note.txt", b"Tension 12/8")})
    attachment = Attachment.objects.get()
    download = client.get(reverse("messaging:attachment", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"Tension 12/8"
    client.force_login(outsider)
    assert client.get(reverse("messaging:attachment", args=[attachment.pk])).status_code in (403, 404)


def test_inbox_shows_unread_counters(client, with_patient, doctor, nurse):
    services.post_message(doctor, with_patient, client_id=uuid.uuid4(), body="a")
    services.post_message(doctor, with_patient, client_id=uuid.uuid4(), body="b")
    client.force_login(nurse)
    assert 'data-unread="2"' in client.get(reverse("messaging:inbox")).content.decode()


def test_malformed_input_on_a_conversation_stores_nothing(client, with_patient, doctor):
    client.force_login(doctor)
    for label, payload in MALFORMED.items():
        response = client.post(reverse("messaging:post_message", args=[with_patient.pk]), payload)
        _french_error(response)
        assert not Message.objects.exists(), label


def test_malformed_input_on_a_request_stores_nothing(client, a_request, nurse):
    client.force_login(nurse)
    for label, payload in MALFORMED.items():
        _french_error(client.post(reverse("messaging:request_status", args=[a_request.pk]), payload))
        _french_error(client.post(reverse("messaging:request_comment", args=[a_request.pk]), payload))
        assert Request.objects.get().status == "nouvelle" and a_request.events.count() == 1, label
        assert not RequestComment.objects.exists(), label


def test_worklist_and_request_pages(client, a_request, nurse, doctor):
    client.force_login(nurse)
    page = client.get(reverse("messaging:worklist"), {"status": "nouvelle"}).content.decode()
    assert reverse("messaging:request", args=[a_request.pk]) in page and 'data-counter="nouvelle">1<' in page
    text = _french_error(client.post(reverse("messaging:request_status", args=[a_request.pk]), {"status": "terminee"}))
    assert "Passage impossible de « Nouvelle » à « Terminée »" in text
    response = client.post(reverse("messaging:request_status", args=[a_request.pk]), {"status": "affectee", "assignee": nurse.email})
    assert response.status_code == 302 and Request.objects.get().status == "affectee"


def test_unknown_request_type_is_a_404_in_french(client, doctor):
    client.force_login(doctor)
    response = client.get(reverse("messaging:new_request", args=["inexistant"]))
    assert response.status_code == 404


def test_a_new_request_by_form_keeps_what_was_typed_on_error(client, doctor, nurse, patient_account):
    client.force_login(doctor)
    url = reverse("messaging:new_request", args=["appui-coordination"])
    text = _french_error(client.post(url, {"f-motif": "Autre", "f-description": "Texte précieux", "f-intervenants": "beaucoup",
                                           "to_user": nurse.email, "patient": patient_account[1].pk}))  # fmt: skip
    assert "Texte précieux" in text and "nombre entier" in text and not Request.objects.exists()
    response = client.post(url, {"f-motif": "Autre", "f-description": "Texte précieux", "f-intervenants": "2",
                                 "to_user": nurse.email, "patient": patient_account[1].pk})  # fmt: skip
    assert response.status_code == 302 and Request.objects.get().data["intervenants"] == 2
