"""Asynchronous tele-expertise: request, statuses and delays, answer, billing codes, errors, trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from enrs.core.models import AccessEvent, Notification
from enrs.telehealth import selectors, services
from enrs.telehealth.clock import FakeClock
from enrs.telehealth.models import Act, ExpertiseAttachment, ExpertiseRequest

from . import builders

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def parties(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                            "OPTIONS": {"location": str(tmp_path)}}}
    gp = builders.professional("generaliste")
    dermato = builders.professional("dermato", specialty="SM15")
    patient = builders.care(gp, builders.patient("GRAIN"))
    return {"gp": gp, "dermato": dermato, "patient": patient}


def _send(parties, clock, **kwargs):
    return services.send_expertise_request(
        parties["gp"], patient=parties["patient"], question="Lésion pigmentée : exérèse ?", clinical_context="Naevus modifié depuis 3 mois.",
        expert=kwargs.pop("expert", parties["dermato"]), clock=clock, **kwargs,
    )


def test_the_whole_lifecycle(parties):
    clock = FakeClock(START)
    request = _send(parties, clock, attachments=[("naevus.png", builders.png())])
    assert request.status == ExpertiseRequest.Status.SENT and request.due_at == START + dt.timedelta(days=7)
    assert ExpertiseAttachment.objects.get(request=request).media_type == "image/png"
    assert Notification.objects.filter(recipient=parties["dermato"], kind="telehealth.expertise").exists()
    clock.advance(days=1)
    services.accept_expertise(parties["dermato"], request, clock=clock)
    assert request.status == ExpertiseRequest.Status.ACCEPTED and request.accepted_at == clock.now()
    clock.advance(days=7)
    assert selectors.is_late(request, clock.now())
    services.answer_expertise(parties["dermato"], request, answer="Exérèse conseillée sous 1 mois.", clock=clock)
    request.refresh_from_db()
    assert request.status == ExpertiseRequest.Status.ANSWERED and request.answered_at == clock.now()
    assert not selectors.is_late(request, clock.now())
    acts = {(a.party, a.billing_code, a.amount, a.professional.username) for a in Act.objects.all()}
    assert acts == {("requester", "RQD", Decimal("10.00"), "generaliste"), ("expert", "TE2", Decimal("20.00"), "dermato")}
    assert Notification.objects.filter(recipient=parties["gp"], title__contains="Réponse").exists()
    trail = set(AccessEvent.objects.filter(object_type="telehealth.ExpertiseRequest").values_list("action", flat=True))
    assert trail == {"create", "update"}
    with pytest.raises(ValidationError, match="plus possible"):
        services.answer_expertise(parties["dermato"], request, answer="encore", clock=clock)


def test_a_request_to_an_unknown_expert_is_refused_clearly(parties):
    with pytest.raises(ValidationError) as error:
        services.resolve_expert("10000000000")
    assert "Expert inconnu" in error.value.message_dict["expert"][0] and "10000000000" in error.value.message_dict["expert"][0]
    with pytest.raises(ValidationError, match="Équipe experte inconnue"):
        services.resolve_team("999999999")


def test_the_expert_is_found_by_rpps(parties):
    assert services.resolve_expert(builders.rpps_of(parties["dermato"])) == parties["dermato"]


def test_a_bad_attachment_refuses_the_whole_request(parties):
    with pytest.raises(ValidationError) as error:
        _send(parties, FakeClock(START), attachments=[("ok.png", builders.png()), ("virus.pdf", b"MZ\x90\x00\x03")])
    assert error.value.message_dict["attachments"]
    assert not ExpertiseRequest.objects.exists() and not ExpertiseAttachment.objects.exists()


def test_a_team_request_is_answered_by_one_member(parties):
    team = builders.organisation("Service de dermatologie")
    member, other = builders.professional("membre", org=team), builders.professional("autre")
    request = _send(parties, FakeClock(START), expert=None, expert_team=team)
    assert Notification.objects.filter(recipient=member).exists()
    with pytest.raises(PermissionDenied):
        services.answer_expertise(other, request, answer="Non sollicité")
    services.answer_expertise(member, request, answer="Avis de l'équipe", clock=FakeClock(START))
    request.refresh_from_db()
    assert request.expert == member and request.answered_by == member


def test_only_the_expert_answers_and_the_requester_must_reach_the_patient(parties):
    request = _send(parties, FakeClock(START))
    with pytest.raises(PermissionDenied):
        services.answer_expertise(parties["gp"], request, answer="Je me réponds")
    stranger = builders.professional("etranger")
    with pytest.raises(PermissionDenied):
        services.send_expertise_request(stranger, patient=parties["patient"], question="?", clinical_context="?", expert=parties["dermato"])
    assert list(selectors.expertise_requests_for(parties["dermato"])) == [request]
    assert not selectors.expertise_requests_for(stranger).exists()


def test_decline_needs_a_reason(parties):
    request = _send(parties, FakeClock(START))
    with pytest.raises(ValidationError):
        services.decline_expertise(parties["dermato"], request, reason=" ")
    services.decline_expertise(parties["dermato"], request, reason="Hors de mon champ")
    assert request.status == ExpertiseRequest.Status.DECLINED and not Act.objects.exists()
