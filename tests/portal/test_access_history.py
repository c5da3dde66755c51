"""« Qui a consulté mon dossier » : the patient's own trail in the patient space."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from enrs.core import audit
from enrs.core.models import AccessEvent

from .builders import make_organisation, make_patient, make_pro_user, make_user

URL = "/espace-patient/acces-a-mon-dossier/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(patient_user):
    return patient_user.patient


@pytest.fixture
def doctor(db):
    organisation = make_organisation("Centre hospitalier de Bayeux", college="A", kind="CH")
    return make_pro_user("dr.roux@test.invalid", organisation, first_name="Paul", last_name="Roux"), organisation


def _read(actor, patient_id, **extra):
    return audit.record(actor=actor, action="read", channel="web", patient_id=patient_id, object_type="identity.Patient", **extra)


def test_url_and_link_from_the_patient_home(client, patient_user):
    assert reverse("portal:access_history") == URL
    client.force_login(patient_user)
    home = client.get(reverse("portal:patient_home"))
    assert f'href="{URL}"' in home.content.decode() and "Qui a consulté mon dossier" in home.content.decode()


def test_patient_sees_only_his_own_record_accesses(client, patient_user, patient, doctor):
    user, organisation = doctor
    other = make_patient(make_user("autre@test.invalid", "patient"), birth_name="LEROY")
    _read(user, patient.pk, organisation_id=organisation.pk, role="professional")
    _read(user, other.pk, organisation_id=organisation.pk, justification="SECRET-AUTRE-PATIENT")
    audit.record(
        actor=user, action="read", channel="api", patient_id=patient.pk, organisation_id=organisation.pk,
        break_glass=True, justification="Urgence vitale",
    )  # fmt: skip
    client.force_login(patient_user)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Paul Roux") == 2 and "Centre hospitalier de Bayeux" in html
    assert "SECRET-AUTRE-PATIENT" not in html
    assert html.count('class="access-history__break-glass"') == 1 and "Urgence vitale" in html
    assert "Consultation" in html and "API" in html and "Web" in html


def test_viewing_the_page_is_recorded_as_the_patient_own_read(client, patient_user, patient):
    client.force_login(patient_user)
    client.get(URL)
    event = AccessEvent.objects.order_by("-sequence").first()
    assert (event.actor_id, event.role, event.action, event.channel) == (patient_user.pk, "patient", "read", "web")
    assert (event.patient_id, event.object_type) == (patient.pk, "core.AccessEvent")
    second = client.get(URL).content.decode()
    assert "Vous-même" in second  # the previous visit, shown as his own


def test_patient_home_records_a_read_of_the_identity(client, patient_user, patient):
    client.force_login(patient_user)
    client.get(reverse("portal:patient_home"), HTTP_X_REQUEST_ID="home-1")
    event = AccessEvent.objects.get()
    assert (event.actor_id, event.action, event.channel, event.object_type) == (patient_user.pk, "read", "web", "identity.Patient")
    assert event.patient_id == patient.pk and event.object_id == str(patient.pk) and event.request_id == "home-1"


def test_dates_are_shown_in_paris_time(client, patient_user, patient, doctor):
    winter_noon_utc = dt.datetime(2026, 1, 15, 11, 5, tzinfo=dt.UTC)
    with mock.patch.object(timezone, "now", return_value=winter_noon_utc):
        _read(doctor[0], patient.pk)
    client.force_login(patient_user)
    assert "15/01/2026 12:05" in client.get(URL).content.decode()


def test_pages_of_25_newest_first(client, patient_user, patient, doctor):
    events = [_read(doctor[0], patient.pk, object_id=f"doc-{n}") for n in range(30)]
    client.force_login(patient_user)
    first = client.get(URL).content.decode()
    assert "Page 1 sur 2" in first and 'rel="next"' in first
    second = client.get(URL, {"page": "2"}).content.decode()
    assert "Page 2 sur 2" in second
    assert events[0].occurred_at.strftime("%d/%m/%Y") in second


@pytest.mark.parametrize(
    ("query", "message"),
    [({"page": "abc"}, "Page"), ({"page": "0"}, "Page"), ({"patient": "2"}, "Paramètre inconnu : patient")],
)
def test_bad_query_is_a_french_400_and_records_nothing(client, patient_user, patient, query, message):
    client.force_login(patient_user)
    response = client.get(URL, query)
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()
    assert message in response.content.decode()
    assert not AccessEvent.objects.exists()


def test_patient_without_record_sees_a_notice(client):
    user = make_user("sans-dossier@test.invalid", "patient")
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200 and "pas encore rattaché" in response.content.decode()
    assert not AccessEvent.objects.exists()


def test_professionals_and_anonymous_are_refused(client, doctor):
    anonymous = client.get(URL)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    client.force_login(doctor[0])
    assert client.get(URL).status_code == 403
