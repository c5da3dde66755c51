"""The screens over HTTP: French errors with nothing stored, 403/404 to outsiders, the happy paths."""

from __future__ import annotations

import pytest
from django.urls import reverse

from enrs.core.models import AccessEvent
from enrs.telehealth import services
from enrs.telehealth.models import Enrolment, ExpertiseRequest, InrResult, QuestionnaireAnswer

from . import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    doctor = builders.professional("docteur")
    patient = builders.care(doctor, builders.patient("VUE", account=True))
    return {"doctor": doctor, "patient": patient}


def test_enrol_then_record_an_out_of_range_inr_through_the_screens(client, team):
    client.force_login(team["doctor"])
    response = client.post(reverse("telehealth:enrol"), {
        "patient": team["patient"].pk, "programme": "scad-antico", "monitoring_doctor": builders.rpps_of(team["doctor"]),
        "inr_target_low": "2", "inr_target_high": "3"})
    enrolment = Enrolment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("telehealth:enrolment", args=[enrolment.pk])
    response = client.post(reverse("telehealth:inr"), {"enrolment": enrolment.pk, "value": "quatre"})
    assert response.status_code == 400
    assert "n&#x27;est pas un nombre" in response.content.decode() and 'value="quatre"' in response.content.decode()
    assert not InrResult.objects.exists()
    response = client.post(reverse("telehealth:inr"), {"enrolment": enrolment.pk, "value": "99"})
    assert response.status_code == 400 and "physiologiquement impossible" in response.content.decode()
    client.post(reverse("telehealth:inr"), {"enrolment": enrolment.pk, "value": "4,2"})
    page = client.get(reverse("telehealth:worklist")).content.decode()
    assert "INR 4,2 hors de la cible 2,0–3,0" in page
    assert client.get(reverse("telehealth:enrolment", args=[enrolment.pk])).status_code == 200
    assert AccessEvent.objects.filter(object_type="telehealth.Enrolment", action="read", channel="web").exists()


def test_the_patient_fills_his_questionnaire_in_the_portal(client, team):
    enrolment = services.enrol(team["doctor"], patient=team["patient"], programme_code="scad-antico", monitoring_doctor=team["doctor"])
    client.force_login(team["patient"].user)
    page = client.get(reverse("telehealth:my_monitoring")).content.decode()
    url = reverse("telehealth:questionnaire", args=[enrolment.pk, "antico-hebdo"])
    assert url in page
    assert "Avez-vous eu un saignement" in client.get(url).content.decode()
    response = client.post(reverse("telehealth:submit_questionnaire"), {"enrolment": enrolment.pk, "questionnaire": "antico-hebdo", "saignement": "oui", "oubli": "abc"})
    assert response.status_code == 400 and not QuestionnaireAnswer.objects.exists()
    response = client.post(reverse("telehealth:submit_questionnaire"), {"enrolment": enrolment.pk, "questionnaire": "antico-hebdo", "saignement": "oui", "oubli": "0"})
    assert response.status_code == 302 and QuestionnaireAnswer.objects.get().answers == {"saignement": True, "oubli": 0}


def test_outsiders_get_403_or_404(client, team):
    enrolment = services.enrol(team["doctor"], patient=team["patient"], programme_code="scad-antico", monitoring_doctor=team["doctor"])
    outsider = builders.professional("curieux")
    client.force_login(outsider)
    assert client.get(reverse("telehealth:enrolment", args=[enrolment.pk])).status_code == 403
    assert client.post(reverse("telehealth:inr"), {"enrolment": enrolment.pk, "value": "2.5"}).status_code == 403
    assert not InrResult.objects.exists()
    other_patient = builders.patient("AUTRE", account=True).user
    client.force_login(other_patient)
    assert client.get(reverse("telehealth:questionnaire", args=[enrolment.pk, "antico-hebdo"])).status_code == 403
    assert client.get(reverse("telehealth:worklist")).status_code == 403


def test_unknown_expert_is_a_field_error(client, team):
    client.force_login(team["doctor"])
    response = client.post(reverse("telehealth:expertise_new"), {"patient": team["patient"].pk, "expert": "10000000000",
                                                                 "question": "Avis ?", "clinical_context": "Contexte"})
    assert response.status_code == 400 and "Expert inconnu" in response.content.decode()
    assert not ExpertiseRequest.objects.exists()


def test_fhir_questionnaire_definition(client):
    response = client.get(reverse("telehealth:questionnaire_fhir", args=["domoplaies", "plaie-douleur"]))
    assert response.status_code == 200 and response.json()["resourceType"] == "Questionnaire"
    assert client.get(reverse("telehealth:questionnaire_fhir", args=["domoplaies", "inconnu"])).status_code == 404


def test_acts_page(client, team):
    client.force_login(team["doctor"])
    assert client.get(reverse("telehealth:acts")).status_code == 200
    assert client.get(reverse("telehealth:acts"), {"year": "deux-mille"}).status_code == 400


def test_fhir_questionnaire_response_read_and_search(client, team):
    enrolment = services.enrol(team["doctor"], patient=team["patient"], programme_code="scad-antico", monitoring_doctor=team["doctor"])
    answer = services.submit_questionnaire(team["patient"].user, enrolment, "antico-hebdo", {"saignement": "non", "oubli": "2"})
    client.force_login(team["doctor"])
    body = client.get(f"/fhir/QuestionnaireResponse/{answer.pk}").json()
    assert body["resourceType"] == "QuestionnaireResponse" and body["subject"]["reference"] == f"Patient/{team['patient'].pk}"
    assert AccessEvent.objects.filter(channel="fhir", object_type="telehealth.Enrolment").exists()
    client.force_login(builders.professional("curieux"))
    assert client.get(f"/fhir/QuestionnaireResponse/{answer.pk}").status_code == 404
    assert client.get("/fhir/QuestionnaireResponse").json()["total"] == 0
