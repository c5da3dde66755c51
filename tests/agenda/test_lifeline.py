"""The agenda's life-line provider: appointments for whoever may read them, trailed."""

from __future__ import annotations

import pytest

from enrs.agenda import services
from enrs.core.lifeline import entries_for
from enrs.core.models import AccessEvent

from .conftest import at, make_patient, next_weekday

pytestmark = pytest.mark.django_db


def test_life_line_lists_the_patients_appointments(clinic):
    patient, user = clinic["patient"], clinic["patient_user"]
    kept = services.book(clinic["motif"], at(next_weekday(1), 9), user=user, patient=patient)
    gone = services.book(clinic["motif"], at(next_weekday(2), 9), user=user, patient=patient)
    services.cancel(gone, user=user, reason="Empêchement")
    entries = [e for e in entries_for(patient, user) if e.source == "agenda"]
    assert [e.when for e in entries] == [kept.start, gone.start]
    assert entries[0].title == "Rendez-vous : Consultation" and entries[1].title.startswith("Rendez-vous annulé")
    assert entries[0].link == "/rdv/mes-rendez-vous/"
    assert AccessEvent.objects.filter(object_type="agenda.Appointment", patient_id=patient.pk).count() >= 2
    assert [e for e in entries_for(patient, clinic["pro_user"]) if e.source == "agenda"][0].link == ""  # the practice sees it too
    _other, stranger = make_patient("autre@test.invalid", "AUTRE")
    assert [e for e in entries_for(patient, stranger) if e.source == "agenda"] == []
