"""Builders of the agenda tests: a hospital unit and a GP practice in Normandy, a patient."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from enrs.accounts.models import User
from enrs.agenda import services
from enrs.agenda.models import Motif
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory
from enrs.identity.models import Patient

PASSWORD = "mot-de-passe-solide-1"
_numbers = itertools.count(1)


def make_organisation(name="CHU de Caen — Cardiologie", kind="CHU", lat="49.1829", lon="-0.3707", city="Caen", insee="14118"):
    number = next(_numbers)
    return directory.upsert_organisation({
        "finess": finess_complete(f"14{number:06d}"), "finess_kind": "ET", "name": name, "kind": kind, "city": city,
        "commune_insee": insee, "latitude": Decimal(lat), "longitude": Decimal(lon), "address_line": "Avenue de la Côte de Nacre",
    }).obj


def make_professional(organisation, last_name="Martin", first_name="Claire", specialty="SM04", email=None):
    number = next(_numbers)
    professional = directory.upsert_professional({
        "rpps": luhn_complete(f"10000{number:05d}"), "last_name": last_name, "first_name": first_name, "profession_code": "10"}).obj
    directory.upsert_situation(professional, organisation, {"specialty_code": specialty, "mode": "S"})
    user = User.objects.create_user(username=email or f"pro{number}@test.invalid", email=email or f"pro{number}@test.invalid",
                                    password=PASSWORD, kind="pro")
    directory.link_user(professional, user)
    return professional, user


def make_patient(email="louise.durand@test.invalid", name="DURAND"):
    user = User.objects.create_user(username=email, email=email, password=PASSWORD, kind="patient")
    patient = Patient.objects.create(birth_name=name, birth_first_names="Louise", birth_date=dt.date(1950, 3, 2), sex="F", user=user,
                                     email=email)
    return patient, user


def make_agenda(organisation, professional=None, *, rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", start_time=dt.time(8),
                end_time=dt.time(12), duration=30, audience=Motif.Audience.PATIENTS, circuit=None, published=True,
                start_date=None, granularity=15, mode=Motif.Mode.IN_PERSON, min_notice=0, horizon=120, specialty="SM04"):
    agenda = services.create_agenda(
        name=f"Dr {professional.last_name}" if professional else organisation.name, organisation=organisation,
        professional=professional, specialty_code=specialty, specialty_label="Cardiologie et maladies vasculaires",
        granularity_minutes=granularity, published=published)
    motif = services.add_motif(agenda, label="Consultation", duration_minutes=duration, audience=audience, circuit=circuit,
                               min_notice_minutes=min_notice, horizon_days=horizon, mode=mode)
    services.add_rule(agenda, rrule=rrule, start_date=start_date or dt.date(2026, 1, 1), start_time=start_time, end_time=end_time)
    agenda.refresh_from_db()
    return agenda, motif


def next_weekday(weekday: int, after: dt.date | None = None, weeks: int = 1) -> dt.date:
    """The date of ``weekday`` (0 = Monday) at least ``weeks`` weeks ahead, never a French public holiday."""
    from enrs.agenda.slots import is_public_holiday

    day = (after or dt.date.today()) + dt.timedelta(days=7 * weeks)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    while is_public_holiday(day):
        day += dt.timedelta(days=7)
    return day


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    from enrs.agenda.slots import local_instant

    return local_instant(day, dt.time(hour, minute))


@pytest.fixture
def clinic(db):
    organisation = make_organisation()
    professional, pro_user = make_professional(organisation)
    agenda, motif = make_agenda(organisation, professional)
    patient, patient_user = make_patient()
    return {"organisation": organisation, "professional": professional, "pro_user": pro_user, "agenda": agenda, "motif": motif,
            "patient": patient, "patient_user": patient_user}
