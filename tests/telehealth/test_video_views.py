"""Teleconsultation rooms from agenda appointments (teleconsultation motifs) and the room screens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from agenda.conftest import at, make_agenda, make_organisation, make_patient, make_professional, next_weekday
from enrs.agenda import services as agenda_services
from enrs.agenda.models import Motif
from enrs.core.models import Notification
from enrs.telehealth import rooms
from enrs.telehealth.models import VideoRoom

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = False


@pytest.fixture
def booked():
    organisation = make_organisation()
    professional, pro_user = make_professional(organisation)
    _agenda, motif = make_agenda(organisation, professional, mode=Motif.Mode.TELECONSULTATION)
    patient, patient_user = make_patient()
    appointment = agenda_services.book(motif, at(next_weekday(1), 9), user=patient_user, patient=patient)
    return pro_user, patient_user, appointment


def test_room_from_a_teleconsultation_appointment_invites_the_patient_once(booked):
    pro_user, patient_user, appointment = booked
    room, token = rooms.room_for_appointment(pro_user, appointment)
    assert room.kind == VideoRoom.Kind.TELECONSULTATION and room.patient_id == appointment.patient_id
    assert room.opens_at == appointment.start - rooms.OPEN_BEFORE and room.closes_at == appointment.end + rooms.CLOSE_AFTER
    assert token and Notification.objects.get(recipient=patient_user, kind="telehealth_room").link == rooms.join_path(room, token)
    again, no_token = rooms.room_for_appointment(pro_user, appointment)
    assert again == room and no_token is None and VideoRoom.objects.count() == 1


def test_in_person_appointment_or_foreign_professional_is_refused(booked):
    pro_user, patient_user, appointment = booked
    organisation = make_organisation(name="Cabinet voisin")
    _professional, stranger = make_professional(organisation, last_name="Durand")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        rooms.room_for_appointment(stranger, appointment)
    in_person_agenda, in_person = make_agenda(organisation, _professional)
    other = agenda_services.book(in_person, at(next_weekday(2), 9), user=patient_user, patient=appointment.patient)
    with pytest.raises(ValidationError, match="pas une téléconsultation"):
        rooms.room_for_appointment(stranger, other)
    assert VideoRoom.objects.count() == 0


def test_room_screens(client, booked):
    pro_user, patient_user, appointment = booked
    client.force_login(pro_user)
    listing = client.get(reverse("telehealth:teleconsultations"))
    assert listing.status_code == 200
    response = client.post(reverse("telehealth:room_from_appointment"), {"appointment": str(appointment.identifier)})
    room = VideoRoom.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("telehealth:room", args=[room.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'id="video-room"' in page and "Salle d'attente" in page and "<script>" not in page.replace('<script id="ice-servers" type="application/json">', "")

    # The patient follows his link, sees the consent form, and only once consented the video part.
    client.force_login(patient_user)
    link = Notification.objects.get(recipient=patient_user, kind="telehealth_room").link
    consent_page = client.get(link, follow=True).content.decode()
    assert "Votre consentement" in consent_page and 'id="video-room"' not in consent_page
    assert client.post(reverse("telehealth:room_consent", args=[room.pk]), {"decision": "nonsense"}).status_code == 400
    client.post(reverse("telehealth:room_consent", args=[room.pk]), {"decision": "given"})
    assert 'id="video-room"' in client.get(reverse("telehealth:room", args=[room.pk])).content.decode()

    # A stranger is told he is not invited; a closed room tells the link expired.
    _p, stranger = make_professional(make_organisation(name="Ailleurs"), last_name="Petit")
    client.force_login(stranger)
    refused = client.get(reverse("telehealth:room", args=[room.pk]))
    assert refused.status_code == 403 and "pas invité" in refused.content.decode()
    assert client.get(link).status_code == 403
    VideoRoom.objects.filter(pk=room.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    client.force_login(patient_user)
    expired = client.get(reverse("telehealth:room", args=[room.pk]))
    assert expired.status_code == 410 and "expiré" in expired.content.decode()


def test_share_invite_a_nurse_and_close_from_the_room(client, booked, settings, tmp_path):
    from agenda.conftest import make_professional as make_pro
    from enrs.telehealth.models import Act, RoomInvitation, SessionDocument

    settings.STORAGES = {**settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "docs")}}}
    pro_user, patient_user, appointment = booked
    room, _token = rooms.room_for_appointment(pro_user, appointment)
    client.force_login(pro_user)
    assert "Consentement oral du patient recueilli" in client.get(reverse("telehealth:room", args=[room.pk])).content.decode()
    client.post(reverse("telehealth:room_consent", args=[room.pk]), {"decision": "given"})  # oral consent, by the host
    consent = room.consents.get()
    assert consent.given and consent.recorded_by == pro_user and rooms.consent_state(room) is True
    nurse_record, nurse = make_pro(make_organisation(name="Cabinet infirmier"), last_name="Leroy")
    client.force_login(pro_user)
    unknown = client.post(reverse("telehealth:room_invite", args=[room.pk]), {"rpps": "99999999999", "role": "third"})
    assert unknown.status_code == 400 and "Professionnel inconnu" in unknown.content.decode()
    client.post(reverse("telehealth:room_invite", args=[room.pk]), {"rpps": nurse_record.rpps, "role": "third"})
    assert RoomInvitation.objects.get(room=room, user=nurse).role == "third"

    from django.core.files.uploadedfile import SimpleUploadedFile

    from .builders import png

    shared = client.post(reverse("telehealth:room_document", args=[room.pk]), {"document": SimpleUploadedFile("plaie.png", png())})
    assert shared.status_code == 302 and SessionDocument.objects.count() == 1
    bad = client.post(reverse("telehealth:room_document", args=[room.pk]), {"document": SimpleUploadedFile("x.pdf", b"nope")})
    assert bad.status_code == 400 and SessionDocument.objects.count() == 1
    client.force_login(nurse)
    download = client.get(reverse("telehealth:room_document_file", args=[SessionDocument.objects.get().pk]))
    assert download.status_code == 200

    client.force_login(pro_user)
    missing = client.post(reverse("telehealth:room_close", args=[room.pk]), {"reason": "Suivi", "billing_code": "TCG"})
    assert missing.status_code == 400 and "Conclusion" in missing.content.decode() and not Act.objects.exists()
    payload = {"reason": "Suivi", "conclusion": "Poursuite", "billing_code": "TC"}
    from enrs.access import selectors as access_selectors
    from enrs.access import services as access_services

    # Opening the room from the booking put him in the care team for the episode; without it, refused.
    relationship = access_selectors.care_relationship(pro_user, appointment.patient)
    access_services.end_care_team_member(relationship)
    outside = client.post(reverse("telehealth:room_close", args=[room.pk]), payload)
    assert outside.status_code == 400 and "équipe de soins" in outside.content.decode() and not Act.objects.exists()
    access_services.add_care_team_member(appointment.patient, pro_user)
    closed = client.post(reverse("telehealth:room_close", args=[room.pk]), payload)
    assert closed.status_code == 302
    act = Act.objects.get()
    assert act.billing_code == "TC" and act.amount_unconfirmed
    assert VideoRoom.objects.get().status == VideoRoom.Status.ENDED


def test_the_booked_professional_joins_the_care_team_for_the_episode_only(booked, settings):
    from enrs.access import selectors as access_selectors
    from enrs.access import services as access_services
    from enrs.core.models import AccessEvent

    settings.ENRS_TELECONSULTATION_CARE_DAYS = 10
    pro_user, _patient_user, appointment = booked
    patient = appointment.patient
    assert access_selectors.care_relationship(pro_user, patient) is None
    rooms.room_for_appointment(pro_user, appointment)
    relationship = access_selectors.care_relationship(pro_user, patient)
    assert relationship is not None and relationship.end == appointment.end + dt.timedelta(days=10)
    assert access_selectors.care_relationship(pro_user, patient, at=relationship.end + dt.timedelta(seconds=1)) is None
    assert AccessEvent.objects.filter(object_type="access.CareRelationship", object_id=str(relationship.pk), action="create").exists()
    rooms.room_for_appointment(pro_user, appointment)  # the same room: no second relationship
    assert patient.care_relationships.count() == 1


def test_an_existing_open_care_relationship_is_never_shortened(booked):
    from enrs.access import selectors as access_selectors
    from enrs.access import services as access_services

    pro_user, _patient_user, appointment = booked
    lasting = access_services.add_care_team_member(appointment.patient, pro_user)
    rooms.room_for_appointment(pro_user, appointment)
    lasting.refresh_from_db()
    assert lasting.end is None and access_selectors.care_relationship(pro_user, appointment.patient) == lasting
