"""The agenda part of ``enrs demo``: published agendas with real slots, a ville-hôpital circuit, idempotent."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from enrs.agenda import selectors
from enrs.agenda.models import Agenda, Circuit, Motif
from enrs.demo.services import build_demo_region

from .conftest import SMALL

pytestmark = pytest.mark.django_db


def _user(mailbox):
    return get_user_model().objects.get(email=f"{mailbox}@demo.enrs.invalid")


def test_demo_doctors_have_published_agendas_with_free_slots(small_region):
    tally = small_region.tallies["agendas"]
    agendas = Agenda.objects.filter(published=True)
    assert tally.created == agendas.count() >= 2
    assert all(agenda.rules.count() == 2 and agenda.next_free_at is not None for agenda in agendas)
    assert all(agenda.professional.profession_code == "10" and agenda.specialty_code for agenda in agendas)
    rows = selectors.search(selectors.SearchCriteria())
    assert {row.agenda.pk for row in rows} == set(agendas.values_list("pk", flat=True))


def test_the_gp_persona_books_the_hospital_slots_reserved_to_the_circuit_and_a_patient_cannot(small_region):
    hospital = Agenda.objects.get(professional__user=_user("hospitalier"))
    reserved = hospital.motifs.get(audience=Motif.Audience.CIRCUIT)
    circuit = Circuit.objects.get()
    gp_agenda = Agenda.objects.get(professional__user=_user("generaliste"))
    assert {hospital.organisation_id, gp_agenda.organisation_id} <= set(circuit.organisations.values_list("pk", flat=True))
    assert selectors.may_book(_user("generaliste"), reserved)
    assert not selectors.may_book(_user("patiente"), reserved)
    assert selectors.next_free_slot(reserved) is not None


def test_second_run_leaves_the_agendas_as_they_are(small_region):
    before = list(Agenda.objects.order_by("pk").values_list("pk", "name", "updated_at"))
    motifs, circuits = Motif.objects.count(), Circuit.objects.count()
    again = build_demo_region(**SMALL)
    assert again.tallies["agendas"].created == 0 and again.tallies["agendas"].unchanged == len(before)
    assert list(Agenda.objects.order_by("pk").values_list("pk", "name", "updated_at")) == before
    assert (Motif.objects.count(), Circuit.objects.count()) == (motifs, circuits)
