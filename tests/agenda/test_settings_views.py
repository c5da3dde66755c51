"""The professional's agenda settings screen: motifs, opening hours, absences, publication."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from enrs.agenda import selectors, services
from enrs.agenda.models import Agenda, Motif

from .conftest import PASSWORD, at, make_agenda, make_organisation, make_professional, next_weekday

pytestmark = pytest.mark.django_db


def _url(agenda):
    return reverse("agenda:pro_settings", args=[agenda.pk])


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def _post(client, agenda, action, **fields):
    prefix = {"motif": "motif-", "regle": "regle-", "absence": "absence-", "publication": "publication-"}.get(action, "")
    data = {"action": action, **{f"{prefix}{key}" if prefix else key: value for key, value in fields.items()}}
    return client.post(_url(agenda), data)


def test_the_agenda_owner_sees_the_settings_and_a_colleague_does_not(client, clinic):
    _login(client, clinic["pro_user"])
    page = client.get(_url(clinic["agenda"]))
    assert page.status_code == 200 and "Ajouter une plage d'ouverture" in page.content.decode()
    _colleague, colleague_user = make_professional(clinic["organisation"], last_name="Leroy")
    client.logout()
    _login(client, colleague_user)
    assert client.get(_url(clinic["agenda"])).status_code == 404  # a colleague's own agenda is his business
    client.logout()
    _login(client, clinic["patient_user"])
    assert client.get(_url(clinic["agenda"])).status_code == 403


def test_team_agendas_are_edited_by_the_professionals_of_their_organisation(client, clinic):
    team, _motif = make_agenda(clinic["organisation"])
    other, _motif = make_agenda(make_organisation("CH de Bayeux"))
    _login(client, clinic["pro_user"])
    assert client.get(_url(team)).status_code == 200
    assert client.get(_url(other)).status_code == 404


def test_adding_a_teleconsultation_motif_opens_the_agenda_to_the_teleconsultation_search(client, clinic):
    _login(client, clinic["pro_user"])
    response = _post(client, clinic["agenda"], "motif", label="Téléconsultation de suivi", duration_minutes=30,
                     mode=Motif.Mode.TELECONSULTATION, audience=Motif.Audience.PATIENTS, min_notice_minutes=60,
                     horizon_days=30, cancel_notice_hours=24)
    assert response.status_code == 302
    motif = clinic["agenda"].motifs.get(label="Téléconsultation de suivi")
    assert motif.mode == Motif.Mode.TELECONSULTATION
    assert Agenda.objects.get(pk=clinic["agenda"].pk).offers_teleconsultation


def test_a_motif_off_the_grid_is_refused_on_its_field_and_nothing_is_stored(client, clinic):
    _login(client, clinic["pro_user"])
    before = Motif.objects.count()
    response = _post(client, clinic["agenda"], "motif", label="Consultation longue", duration_minutes=20,
                     mode=Motif.Mode.IN_PERSON, audience=Motif.Audience.PATIENTS, min_notice_minutes=0, horizon_days=30,
                     cancel_notice_hours=24)
    assert response.status_code == 400
    assert "Durée (minutes) : La durée doit être un multiple du pas de l&#x27;agenda (15 minutes)." in response.content.decode()
    assert Motif.objects.count() == before


def test_a_rule_written_as_days_opens_those_days_every_other_week(client, clinic):
    agenda = clinic["agenda"]
    _login(client, clinic["pro_user"])
    start = next_weekday(5)  # a Saturday: the clinic's rule opens weekdays only
    response = _post(client, agenda, "regle", label="Samedis", days=["SA"], interval="2", start_date=start.isoformat(),
                     start_time="09:00", end_time="12:00")
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = agenda.rules.get(label="Samedis")
    assert rule.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA"
    free = {slot.start for slot in selectors.slots(clinic["motif"], at(start, 0), at(start + dt.timedelta(days=15), 0))}
    assert at(start, 9) in free and at(start + dt.timedelta(days=14), 9) in free
    assert at(start + dt.timedelta(days=7), 9) not in free


def test_an_overlapping_rule_is_refused_in_french(client, clinic):
    _login(client, clinic["pro_user"])
    rules = clinic["agenda"].rules.count()
    response = _post(client, clinic["agenda"], "regle", days=["MO"], interval="1", start_date="2026-01-05",
                     start_time="10:00", end_time="11:00")
    assert response.status_code == 400 and "chevauche" in response.content.decode()
    assert clinic["agenda"].rules.count() == rules


@pytest.mark.parametrize("fields, message", [
    ({"days": [], "interval": "1", "start_date": "2026-01-05", "start_time": "09:00", "end_time": "10:00"}, "Cochez au moins un jour."),
    ({"days": ["XX"], "interval": "1", "start_date": "2026-01-05", "start_time": "09:00", "end_time": "10:00"}, "Jours"),
    ({"days": ["SA"], "interval": "3", "start_date": "2026-01-05", "start_time": "09:00", "end_time": "10:00"}, "Fréquence"),
    ({"days": ["SA"], "interval": "1", "start_date": "2026-01-05", "start_time": "09:10", "end_time": "10:00"}, "pas de l&#x27;agenda"),
    ({"days": ["SA"], "interval": "1", "start_date": "2026-01-05", "start_time": "11:00", "end_time": "10:00"}, "doit suivre"),
    ({"days": ["SA"], "interval": "1", "start_date": "2026-02-01", "end_date": "2026-01-01", "start_time": "09:00", "end_time": "10:00"}, "précède"),
])
def test_bad_rules_name_their_field(client, clinic, fields, message):
    _login(client, clinic["pro_user"])
    rules = clinic["agenda"].rules.count()
    response = _post(client, clinic["agenda"], "regle", **fields)
    assert response.status_code == 400 and message in response.content.decode()
    assert clinic["agenda"].rules.count() == rules


def test_an_absence_closes_its_slots_and_removing_it_opens_them_again(client, clinic):
    agenda, motif = clinic["agenda"], clinic["motif"]
    day = next_weekday(2)
    _login(client, clinic["pro_user"])
    assert at(day, 9) in {s.start for s in selectors.slots(motif, at(day, 0), at(day, 23))}
    response = _post(client, agenda, "absence", start=f"{day.isoformat()}T08:00", end=f"{day.isoformat()}T12:00", reason="Formation")
    assert response.status_code == 302
    assert not [s for s in selectors.slots(motif, at(day, 0), at(day, 23)) if s.free]
    absence = agenda.absences.get()
    assert absence.start == at(day, 8)  # read as Paris time
    assert _post(client, agenda, "retirer-absence", item=absence.pk).status_code == 302
    assert at(day, 9) in {s.start for s in selectors.slots(motif, at(day, 0), at(day, 23))}


def test_an_absence_ending_before_it_starts_is_refused(client, clinic):
    _login(client, clinic["pro_user"])
    response = _post(client, clinic["agenda"], "absence", start="2027-03-02T12:00", end="2027-03-02T08:00")
    assert response.status_code == 400 and "La fin de l&#x27;absence doit suivre son début." in response.content.decode()
    assert not clinic["agenda"].absences.exists()


def test_withdrawing_a_motif_keeps_its_appointments(client, clinic):
    agenda, motif = clinic["agenda"], clinic["motif"]
    appointment = services.book(motif, at(next_weekday(1), 9), user=clinic["patient_user"], patient=clinic["patient"])
    _login(client, clinic["pro_user"])
    assert _post(client, agenda, "retirer-motif", item=motif.pk).status_code == 302
    motif.refresh_from_db()
    appointment.refresh_from_db()
    assert not motif.active and appointment.status == appointment.Status.BOOKED
    assert Agenda.objects.get(pk=agenda.pk).next_free_at is None


def test_removals_only_reach_items_of_this_agenda(client, clinic):
    other, other_motif = make_agenda(make_organisation("CH de Vire"))
    _login(client, clinic["pro_user"])
    response = _post(client, clinic["agenda"], "retirer-motif", item=other_motif.pk)
    assert response.status_code == 400 and "Élément introuvable" in response.content.decode()
    other_motif.refresh_from_db()
    assert other_motif.active
    assert _post(client, clinic["agenda"], "retirer-regle", item="abc").status_code == 400
    assert _post(client, clinic["agenda"], "supprimer-tout").status_code == 400


def test_unpublishing_takes_the_agenda_out_of_the_public_search(client, clinic):
    _login(client, clinic["pro_user"])
    assert selectors.search(selectors.SearchCriteria(name="Martin"))
    assert _post(client, clinic["agenda"], "publication").status_code == 302  # unchecked box: unpublished
    assert not Agenda.objects.get(pk=clinic["agenda"].pk).published
    assert not selectors.search(selectors.SearchCriteria(name="Martin"))
    assert _post(client, clinic["agenda"], "publication", published="on").status_code == 302
    assert selectors.search(selectors.SearchCriteria(name="Martin"))


def test_a_pro_account_not_linked_to_the_directory_manages_no_agenda(clinic, django_user_model):
    team, _motif = make_agenda(clinic["organisation"])
    unlinked = django_user_model.objects.create_user(username="x@test.invalid", email="x@test.invalid", password=PASSWORD, kind="pro")
    assert not selectors.agendas_managed_by(unlinked).exists()
    assert not selectors.agendas_editable_by(unlinked).exists()


@pytest.mark.parametrize("action, fields", [
    ("motif", {"label": "Bad\x00label", "duration_minutes": "quinze", "mode": "hologramme", "audience": "tous",
               "min_notice_minutes": "-5", "horizon_days": "9999", "cancel_notice_hours": "x", "circuit": "999999"}),
    ("regle", {"days": ["MO"], "interval": "1", "start_date": "31/02/2026", "start_time": "25:00", "end_time": "x",
               "motifs": ["999999"], "label": "a" * 500}),
    ("absence", {"start": "demain", "end": "2026-13-01T00:00", "reason": "\x07"}),
    ("retirer-absence", {"item": "-1"}),
])
def test_malformed_settings_are_refused_in_french_and_nothing_changes(client, clinic, action, fields):
    agenda = clinic["agenda"]
    before = (agenda.motifs.count(), agenda.rules.count(), agenda.absences.count())
    _login(client, clinic["pro_user"])
    response = _post(client, agenda, action, **fields)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Veuillez corriger les points suivants" in body or "Élément introuvable" in body
    assert (agenda.motifs.count(), agenda.rules.count(), agenda.absences.count()) == before
