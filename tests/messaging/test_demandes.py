"""e-Demande: types as data, validated content, addressing, status machine, worklist, comments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given, settings as hsettings, strategies as st

from enrs.core.models import AccessEvent
from enrs.messaging import demandes, selectors
from enrs.messaging.demandes import TRANSITIONS, RequestError, Status
from enrs.messaging.models import Request, RequestEvent, RequestType, Team

FIELDS = [
    {"name": "motif", "label": "Motif", "type": "choice", "required": True, "choices": ["Retour à domicile", "Autre"]},
    {"name": "description", "label": "Description", "type": "textarea", "required": True},
    {"name": "intervenants", "label": "Nombre d'intervenants", "type": "integer"},
    {"name": "date_souhaitee", "label": "Date souhaitée", "type": "date"},
]
GOOD = {"motif": "Autre", "description": "Situation complexe", "intervenants": "3", "date_souhaitee": "2026-12-01"}


@pytest.fixture
def request_type(db):
    return demandes.save_request_type(code="appui", label="Appui", fields=FIELDS, due_days=5)


@pytest.fixture
def team(nurse, organisation):
    team = Team.objects.create(name="Cellule d'appui", organisation=organisation)
    team.members.add(nurse)
    return team


@pytest.fixture
def new_request(request_type, doctor, team, patient_account):
    return demandes.create_request(doctor, request_type, GOOD, to_team=team, patient=patient_account[1])


def test_a_malformed_definition_is_refused_with_every_problem_named(db):
    bad = [{"name": "Motif!", "label": "", "type": "couleur"}, {"name": "x", "label": "X", "type": "choice"},
           {"name": "x", "label": "Y", "type": "text", "required": "oui"}, "texte"]  # fmt: skip
    with pytest.raises(RequestError) as error:
        demandes.save_request_type(code="bad", label="Bad", fields=bad)
    text = " ".join(error.value.messages)
    for expected in ("champ n° 1 : nom technique", "champ n° 1 : libellé", "type inconnu « couleur »",
                     "champ n° 2 : une liste de choix", "« required »", "champ n° 4", "en double : x"):  # fmt: skip
        assert expected in text
    assert not RequestType.objects.filter(code="bad").exists()


def test_the_seeded_types_are_valid_definitions(db):
    for request_type in RequestType.objects.all():
        demandes.validate_definition(request_type.fields)
    assert RequestType.objects.filter(code__in=["avis-specialise", "appui-coordination"]).count() == 2


def test_content_is_validated_field_by_field(request_type, doctor, team, patient_account):
    raw = {"motif": "Inconnu", "description": "  ", "intervenants": "trois", "date_souhaitee": "31/12/2026"}
    with pytest.raises(RequestError) as error:
        demandes.create_request(doctor, request_type, raw, to_team=team, patient=patient_account[1])
    errors = error.value.message_dict
    assert errors["motif"] == ["« Motif » : choix inconnu « Inconnu »."]
    assert errors["description"] == ["« Description » est obligatoire."]
    assert "nombre entier" in errors["intervenants"][0] and "AAAA-MM-JJ" in errors["date_souhaitee"][0]
    assert not Request.objects.exists()


def test_data_is_stored_typed_with_its_due_date(new_request):
    assert new_request.data == {"motif": "Autre", "description": "Situation complexe", "intervenants": 3,
                                "date_souhaitee": "2026-12-01"}  # fmt: skip
    assert new_request.due_date == timezone.localdate() + dt.timedelta(days=5)
    assert new_request.status == Status.NEW and new_request.events.get().to_status == Status.NEW


def test_addressing_and_subject_are_checked(request_type, doctor, outsider, team, organisation, patient_account):
    _user, patient = patient_account
    with pytest.raises(RequestError, match="un seul destinataire"):
        demandes.create_request(doctor, request_type, GOOD, to_team=team, to_organisation=organisation, patient=patient)
    with pytest.raises(RequestError, match="porte sur un patient"):
        demandes.create_request(doctor, request_type, GOOD, to_team=team)
    with pytest.raises(RequestError, match="pas accès au dossier"):
        demandes.create_request(outsider, request_type, GOOD, to_team=team, patient=patient)
    assert not Request.objects.exists()


def test_the_normal_path_records_who_and_when(new_request, doctor, nurse):
    demandes.change_status(nurse, new_request, Status.ASSIGNED, assignee=nurse)
    demandes.change_status(nurse, new_request, Status.IN_PROGRESS)
    done = demandes.change_status(nurse, new_request, Status.DONE, note="Visite organisée")
    assert done.status == Status.DONE
    steps = list(RequestEvent.objects.filter(request=new_request).values_list("from_status", "to_status", "actor"))
    assert steps == [("", "nouvelle", doctor.pk), ("nouvelle", "affectee", nurse.pk), ("affectee", "en_cours", nurse.pk),
                     ("en_cours", "terminee", nurse.pk)]  # fmt: skip


def test_invalid_transitions_and_wrong_actors_are_refused_in_french(new_request, doctor, nurse, outsider):
    with pytest.raises(RequestError, match="Passage impossible de « Nouvelle » à « Terminée »"):
        demandes.change_status(nurse, new_request, Status.DONE)
    with pytest.raises(RequestError, match="Seul le demandeur"):
        demandes.change_status(nurse, new_request, Status.CANCELLED)
    with pytest.raises(RequestError, match="Seul un destinataire"):
        demandes.change_status(doctor, new_request, Status.ASSIGNED, assignee=doctor)
    with pytest.raises(RequestError, match="ne fait pas partie des destinataires"):
        demandes.change_status(nurse, new_request, Status.ASSIGNED, assignee=outsider)
    with pytest.raises(RequestError, match="motif du refus"):
        demandes.change_status(nurse, new_request, Status.REFUSED)
    with pytest.raises(RequestError, match="Statut inconnu"):
        demandes.change_status(nurse, new_request, "perdue")
    demandes.change_status(doctor, new_request, Status.CANCELLED, note="Plus nécessaire")
    with pytest.raises(RequestError, match="« Annulée » à « En cours »"):
        demandes.change_status(nurse, new_request, Status.IN_PROGRESS)
    new_request.refresh_from_db()
    assert new_request.status == Status.CANCELLED and new_request.events.count() == 2


@hsettings(max_examples=25, deadline=None)
@given(steps=st.lists(st.sampled_from(Status.values), max_size=6))
def test_the_status_only_ever_follows_the_transition_table(django_db_blocker, steps):
    """Property: whatever is asked, the stored history is a path in TRANSITIONS."""
    from django.db import transaction

    from access.builders import make_organisation, make_patient, make_professional

    with django_db_blocker.unblock(), transaction.atomic():
        organisation = make_organisation()
        requester, addressee = make_professional(organisation), make_professional(organisation)
        patient = make_patient()
        from enrs.access import services as access_services

        access_services.add_care_team_member(patient, requester)
        request_type = demandes.save_request_type(code="p", label="P", fields=[], about_patient=False)
        obj = demandes.create_request(requester, request_type, {}, to_user=addressee, patient=patient)
        for step in steps:
            actor = requester if step == Status.CANCELLED else addressee
            try:
                demandes.change_status(actor, obj, step, assignee=addressee, note="motif")
            except RequestError:
                pass
        path = list(obj.events.order_by("at", "pk").values_list("from_status", "to_status"))
        for (from_status, to_status), (_prev_from, prev_to) in zip(path[1:], path, strict=False):
            assert from_status == prev_to and to_status in TRANSITIONS[from_status]
        transaction.set_rollback(True)


def test_worklist_filters_counters_and_overdue(request_type, doctor, nurse, team, patient_account):
    _user, patient = patient_account
    late = demandes.create_request(doctor, request_type, GOOD, to_team=team, patient=patient,
                                   due_date=timezone.localdate() - dt.timedelta(days=1))  # fmt: skip
    on_time = demandes.create_request(doctor, request_type, GOOD, to_user=nurse, patient=patient)
    demandes.change_status(nurse, on_time, Status.ASSIGNED, assignee=nurse)
    counters = selectors.worklist_counters(nurse)
    assert counters["nouvelle"] == 1 and counters["affectee"] == 1 and counters["overdue"] == 1
    everything = list(selectors.worklist(nurse, selectors.WorklistFilters()))
    assert everything == [late, on_time] and late.is_overdue and not on_time.is_overdue
    assert list(selectors.worklist(nurse, selectors.WorklistFilters(overdue=True))) == [late]
    assert list(selectors.worklist(nurse, selectors.WorklistFilters(status="affectee"))) == [on_time]
    assert list(selectors.worklist(doctor, selectors.WorklistFilters(scope="to_me"))) == []
    assert list(selectors.worklist(doctor, selectors.WorklistFilters(scope="mine"))) == [late, on_time]


def test_outsiders_see_nothing_and_patient_requests_are_trailed(new_request, nurse, outsider):
    from django.core.exceptions import PermissionDenied

    assert list(selectors.worklist(outsider, selectors.WorklistFilters())) == []
    with pytest.raises(PermissionDenied):
        selectors.request_for(outsider, new_request.pk, channel="web")
    before = AccessEvent.objects.count()
    selectors.request_for(nurse, new_request.pk, channel="web")
    event = AccessEvent.objects.order_by("pk").last()
    assert AccessEvent.objects.count() == before + 1 and event.object_type == "messaging.PatientRequest"


def test_comments_need_content(new_request, nurse):
    with pytest.raises(RequestError, match="vide"):
        demandes.add_comment(nurse, new_request, body="  ")
    comment = demandes.add_comment(nurse, new_request, body="Je m'en occupe")
    assert list(new_request.comments.all()) == [comment]
