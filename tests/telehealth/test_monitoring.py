"""Telemonitoring: enrolment, INR rules (property tests), dose changes, wounds, questionnaires,
alerts to the monitoring doctor, the worklist, counts, permissions and the access trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from enrs.core.models import AccessEvent, Notification
from enrs.telehealth import selectors, services
from enrs.telehealth.clock import FakeClock
from enrs.telehealth.models import Alert, Enrolment, InrResult, QuestionnaireAnswer, WoundAssessment

from . import builders

pytestmark = pytest.mark.django_db

# --- Enrolment ----------------------------------------------------------------------------------------
@pytest.fixture
def team():
    doctor = builders.professional("docteur")
    nurse = builders.professional("infirmiere", profession="60", specialty="")
    patient = builders.care(doctor, builders.patient(account=True))
    builders.care(nurse, patient)
    return {"doctor": doctor, "nurse": nurse, "patient": patient}


@pytest.fixture
def clock():
    return FakeClock(timezone.now().replace(microsecond=0))


def _antico(team, clock, **kwargs):
    return services.enrol(team["nurse"], patient=team["patient"], programme_code="scad-antico", monitoring_doctor=team["doctor"],
                          inr_target_low=kwargs.get("low", "2,5"), inr_target_high=kwargs.get("high", "3,5"), clock=clock)


def test_enrolment_with_target_range_and_doctor(team, clock):
    enrolment = _antico(team, clock)
    assert (enrolment.inr_target_low, enrolment.inr_target_high) == (Decimal("2.5"), Decimal("3.5"))
    assert enrolment.monitoring_doctor == team["doctor"] and enrolment.started_at == clock.now()
    assert AccessEvent.objects.filter(object_type="telehealth.Enrolment", action="create", patient_id=team["patient"].pk).exists()


def test_default_target_when_none_given(team, clock):
    enrolment = _antico(team, clock, low="", high="")
    assert (enrolment.inr_target_low, enrolment.inr_target_high) == (Decimal("2.0"), Decimal("3.0"))


@pytest.mark.parametrize("low, high, field, fragment", [
    ("3", "2", "inr_target_high", "supérieure"),
    ("abc", "3", "inr_target_low", "pas un nombre"),
    ("2", "40", "inr_target_high", "impossible"),
])
def test_bad_target_ranges_are_refused(team, clock, low, high, field, fragment):
    with pytest.raises(ValidationError) as error:
        _antico(team, clock, low=low, high=high)
    assert fragment in error.value.message_dict[field][0]
    assert not Enrolment.objects.exists()


def test_a_patient_is_enrolled_once_per_programme(team, clock):
    _antico(team, clock)
    with pytest.raises(ValidationError, match="déjà suivi"):
        _antico(team, clock)


def test_the_monitoring_doctor_must_be_a_doctor(team, clock):
    with pytest.raises(ValidationError) as error:
        services.enrol(team["nurse"], patient=team["patient"], programme_code="scad-antico", monitoring_doctor=team["nurse"], clock=clock)
    assert "médecin" in error.value.message_dict["monitoring_doctor"][0]


def test_unknown_programme(team, clock):
    with pytest.raises(ValidationError, match="inconnu"):
        services.enrol(team["nurse"], patient=team["patient"], programme_code="teleportation", monitoring_doctor=team["doctor"])


def test_a_professional_outside_the_care_team_cannot_enrol(team, clock):
    outsider = builders.professional("curieux")
    with pytest.raises(PermissionDenied):
        services.enrol(outsider, patient=team["patient"], programme_code="scad-antico", monitoring_doctor=team["doctor"])


# --- INR results and alerts -------------------------------------------------------------------------------
def test_in_range_inr_raises_no_alert(team, clock):
    enrolment = _antico(team, clock)
    result = services.record_inr(team["nurse"], enrolment, "3,5", clock=clock)
    assert result.verdict == "in" and not Alert.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize("value, verdict, kind", [("1,9", "low", Alert.Kind.INR_LOW), ("4.6", "high", Alert.Kind.INR_HIGH)])
def test_out_of_range_inr_alerts_the_monitoring_doctor(team, clock, value, verdict, kind):
    enrolment = _antico(team, clock)
    result = services.record_inr(team["nurse"], enrolment, value, clock=clock)
    assert result.verdict == verdict
    alert = Alert.objects.get()
    assert alert.kind == kind and "hors de la cible 2,5–3,5" in alert.message
    notification = Notification.objects.get()
    assert notification.recipient == team["doctor"] and notification.link.endswith(f"/surveillance/{enrolment.pk}/")
    assert team["patient"].birth_name not in notification.title + notification.body  # no identity in an e-mail
    assert [a.pk for a in selectors.worklist(team["doctor"])] == [alert.pk]


def test_the_target_of_the_day_is_kept_with_each_result(team, clock):
    enrolment = _antico(team, clock)
    services.record_inr(team["nurse"], enrolment, "3", clock=clock)
    enrolment.inr_target_low, enrolment.inr_target_high = Decimal("2.0"), Decimal("2.8")
    enrolment.save()
    services.record_inr(team["nurse"], enrolment, "3", clock=clock)
    assert [r.verdict for r in InrResult.objects.order_by("pk")] == ["in", "high"]


@pytest.mark.parametrize("raw, fragment", [("deux", "pas un nombre"), ("", "pas un nombre"), ("NaN", "pas un nombre"),
                                           ("0", "impossible"), ("25", "impossible"), ("-3", "impossible")])
def test_bad_inr_values_store_nothing(team, clock, raw, fragment):
    enrolment = _antico(team, clock)
    with pytest.raises(ValidationError) as error:
        services.record_inr(team["nurse"], enrolment, raw, clock=clock)
    assert fragment in error.value.message_dict["value"][0]
    assert not InrResult.objects.exists() and not Alert.objects.exists()


def test_inr_in_the_future_is_refused(team, clock):
    enrolment = _antico(team, clock)
    with pytest.raises(ValidationError, match="futur"):
        services.record_inr(team["nurse"], enrolment, "2.5", measured_at=clock.now() + dt.timedelta(days=1), clock=clock)


def test_dose_change_is_recorded_against_a_result(team, clock):
    enrolment = _antico(team, clock)
    result = services.record_inr(team["doctor"], enrolment, "4,8", clock=clock)
    change = services.record_dose_change(team["doctor"], enrolment, previous_dose="Warfarine 5 mg", new_dose="Warfarine 4 mg",
                                         reason="INR haut", next_check_on=clock.now().date() + dt.timedelta(days=3), inr_result=result, clock=clock)
    assert change.decided_by == team["doctor"] and enrolment.dose_changes.get() == change
    with pytest.raises(ValidationError):
        services.record_dose_change(team["doctor"], enrolment, previous_dose="x", new_dose=" ", clock=clock)


def test_the_patient_reads_but_cannot_record_results(team, clock):
    enrolment = _antico(team, clock)
    patient_user = team["patient"].user
    assert list(selectors.enrolments_for(patient_user)) == [enrolment]
    with pytest.raises(PermissionDenied):
        services.record_inr(patient_user, enrolment, "2.5", clock=clock)


def test_outsiders_see_nothing(team, clock):
    enrolment = _antico(team, clock)
    services.record_inr(team["nurse"], enrolment, "6", clock=clock)
    outsider = builders.professional("curieux")
    assert not selectors.enrolments_for(outsider).exists() and not selectors.worklist(outsider).exists()
    with pytest.raises(PermissionDenied):
        services.record_inr(outsider, enrolment, "2.5", clock=clock)


def test_acknowledging_an_alert_removes_it_from_the_worklist(team, clock):
    enrolment = _antico(team, clock)
    services.record_inr(team["nurse"], enrolment, "6", clock=clock)
    alert = Alert.objects.get()
    services.acknowledge_alert(team["doctor"], alert, clock=clock)
    assert not selectors.worklist(team["doctor"]).exists()
    assert Alert.objects.get().acknowledged_by == team["doctor"]


def test_an_ended_enrolment_takes_no_more_data(team, clock):
    enrolment = _antico(team, clock)
    services.end_enrolment(team["doctor"], enrolment, clock=clock)
    with pytest.raises(ValidationError, match="terminé"):
        services.record_inr(team["doctor"], enrolment, "2.5", clock=clock)


# --- Domoplaies ---------------------------------------------------------------------------------------------
@pytest.fixture
def wound_enrolment(team, clock):
    centre = builders.organisation("Centre plaies")
    expert = builders.professional("expertplaies", org=centre)
    enrolment = services.enrol(team["nurse"], patient=team["patient"], programme_code="domoplaies", monitoring_doctor=team["doctor"],
                               expert_centre=centre, clock=clock)
    return enrolment, expert


def test_wound_measurements_over_time_and_growth_alert(team, clock, wound_enrolment, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                            "OPTIONS": {"location": str(tmp_path)}}}
    enrolment, expert = wound_enrolment
    services.record_wound(team["nurse"], enrolment, photo=builders.png(), photo_name="plaie.png", length_mm="40", width_mm="30", clock=clock)
    clock.advance(days=7)
    services.record_wound(team["nurse"], enrolment, photo=builders.png(), photo_name="plaie2.png", length_mm="42", width_mm="31", clock=clock)
    assert not Alert.objects.exists()  # +8.5 %: under the 20 % threshold
    clock.advance(days=7)
    latest = services.record_wound(expert, enrolment, photo=builders.png(), photo_name="plaie3.png", length_mm="50", width_mm="35",
                                   depth_mm="4", clock=clock)
    assert Alert.objects.get().kind == Alert.Kind.WOUND
    assert [w.area_mm2 for w in enrolment.wound_assessments.all()] == [Decimal("1200.00"), Decimal("1302.00"), Decimal("1750.00")]
    assert (tmp_path / latest.storage_name).read_bytes()[:4] == b"\x89PNG"


def test_the_expert_centre_follows_the_patient(team, clock, wound_enrolment):
    enrolment, expert = wound_enrolment
    assert list(selectors.enrolments_for(expert)) == [enrolment]


@pytest.mark.parametrize("photo, name, field", [(b"MZ\x90\x00 not an image", "plaie.png", "photo"), (b"%PDF-1.4 broken", "plaie.pdf", "photo")])
def test_a_bad_photo_is_refused_and_nothing_is_stored(team, clock, wound_enrolment, photo, name, field):
    enrolment, _expert = wound_enrolment
    with pytest.raises(ValidationError) as error:
        services.record_wound(team["nurse"], enrolment, photo=photo, photo_name=name, length_mm="4", width_mm="3", clock=clock)
    assert error.value.message_dict[field]
    assert not WoundAssessment.objects.exists()


@pytest.mark.parametrize("length, width", [("0", "3"), ("abc", "3"), ("4", "9999")])
def test_bad_measurements_are_refused(team, clock, wound_enrolment, length, width):
    enrolment, _expert = wound_enrolment
    with pytest.raises(ValidationError, match="millimètres"):
        services.record_wound(team["nurse"], enrolment, photo=builders.png(), photo_name="p.png", length_mm=length, width_mm=width, clock=clock)


def test_inr_is_refused_in_a_wound_programme(team, clock, wound_enrolment):
    enrolment, _expert = wound_enrolment
    with pytest.raises(ValidationError, match="ne prévoit pas"):
        services.record_inr(team["doctor"], enrolment, "2.5", clock=clock)


# --- Questionnaires ------------------------------------------------------------------------------------------
def test_the_patient_fills_a_questionnaire_and_thresholds_alert(team, clock):
    enrolment = _antico(team, clock)
    patient_user = team["patient"].user
    due = selectors.questionnaires_due(enrolment, clock.now())
    assert [row["due"] for row in due] == [True]
    services.submit_questionnaire(patient_user, enrolment, "antico-hebdo", {"saignement": "non", "oubli": "1", "commentaire": ""}, clock=clock)
    assert not Alert.objects.exists()
    assert selectors.questionnaires_due(enrolment, clock.now())[0]["due"] is False
    clock.advance(days=7)
    assert selectors.questionnaires_due(enrolment, clock.now())[0]["due"] is True
    services.submit_questionnaire(patient_user, enrolment, "antico-hebdo", {"saignement": "oui", "oubli": "3"}, clock=clock)
    alert = Alert.objects.get()
    assert alert.kind == Alert.Kind.QUESTIONNAIRE and "saignement" in alert.message
    assert QuestionnaireAnswer.objects.order_by("pk").last().answers == {"saignement": True, "oubli": 3}


@pytest.mark.parametrize("answers, field", [({"saignement": "peut-être", "oubli": "1"}, "saignement"), ({"saignement": "non", "oubli": "1,5"}, "oubli"),
                                            ({"saignement": "non", "oubli": "99"}, "oubli"), ({"oubli": "1"}, "saignement")])
def test_bad_answers_are_refused_per_question(team, clock, answers, field):
    enrolment = _antico(team, clock)
    with pytest.raises(ValidationError) as error:
        services.submit_questionnaire(team["patient"].user, enrolment, "antico-hebdo", answers, clock=clock)
    assert field in error.value.message_dict
    assert not QuestionnaireAnswer.objects.exists()


def test_another_patient_cannot_answer(team, clock):
    enrolment = _antico(team, clock)
    other = builders.patient("AUTRE", account=True)
    with pytest.raises(PermissionDenied):
        services.submit_questionnaire(other.user, enrolment, "antico-hebdo", {"saignement": "non", "oubli": "0"}, clock=clock)


def test_fhir_questionnaire_and_response(team, clock):
    from enrs.telehealth import config, fhir_resources

    programme = config.programme("scad-antico")
    definition = programme.questionnaire("antico-hebdo")
    resource = fhir_resources.questionnaire(programme, definition)
    assert [i.type for i in resource.item] == ["boolean", "integer", "text"]
    enrolment = _antico(team, clock)
    answer = services.submit_questionnaire(team["patient"].user, enrolment, "antico-hebdo", {"saignement": "oui", "oubli": "2"}, clock=clock)
    response = fhir_resources.questionnaire_response(answer, definition)
    assert response.questionnaire == resource.url and response.item[0].answer[0].valueBoolean is True
    assert response.item[1].answer[0].valueInteger == 2


def test_counts_per_programme(team, clock, wound_enrolment):
    enrolment = _antico(team, clock)
    services.record_inr(team["nurse"], enrolment, "7", clock=clock)
    counts = {row["programme"].code: row for row in selectors.programme_counts(clock.now() + dt.timedelta(seconds=1))}
    assert counts["scad-antico"]["active"] == 1 and counts["scad-antico"]["open_alerts"] == 1 and counts["scad-antico"]["inr_results"] == 1
    assert counts["domoplaies"]["active"] == 1 and counts["domoplaies"]["open_alerts"] == 0


def test_lifeline_lists_the_enrolment_for_allowed_users_only(team, clock):
    from enrs.core import lifeline

    _antico(team, clock)
    assert any(e.kind == "telesurveillance" for e in lifeline.entries_for(team["patient"], team["doctor"]))
    assert not any(e.kind == "telesurveillance" for e in lifeline.entries_for(team["patient"], builders.professional("autre")))
