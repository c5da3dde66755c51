"""Urgent tele-advice: the on-call roster, the ring, the escalation timer driven by a fake clock,
every step timestamped; the management command runs due escalations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from enrs.access.models import RoleAssignment
from enrs.core import sms
from enrs.core.models import Notification
from enrs.telehealth import services
from enrs.telehealth.clock import FakeClock
from enrs.telehealth.models import Act, UrgentEvent, UrgentRequest

from . import builders

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 3, 2, 21, 0, tzinfo=dt.UTC)


@pytest.fixture
def roster(settings):
    settings.ENRS_SMS_BACKEND = "enrs.core.sms.MemoryBackend"
    sms.outbox.clear()
    coordinator = builders.professional("coordo")
    RoleAssignment.objects.create(user=coordinator, role="coordinator")
    experts = [builders.professional(f"neuro{i}", specialty="SM42", phone=f"0231000{i:03d}") for i in range(3)]
    for rank, expert in enumerate(experts, start=1):
        services.add_shift(coordinator, specialty_code="SM42", expert=expert, starts_at=START, ends_at=START + dt.timedelta(hours=12), rank=rank)
    urgentist = builders.professional("urgentiste", specialty="SM54")
    patient = builders.care(urgentist, builders.patient("AVC"))
    return {"coordinator": coordinator, "experts": experts, "urgentist": urgentist, "patient": patient}


def _call(roster, clock):
    return services.open_urgent_request(roster["urgentist"], patient=roster["patient"], specialty_code="SM42",
                                        reason="Déficit brachio-facial gauche depuis 40 min", clock=clock)


def _kinds(request):
    return [(e.kind, e.expert.username if e.expert else None, e.at) for e in request.events.order_by("at", "pk")]


def test_the_request_rings_rank_one_then_escalates_after_the_delay(roster, mailoutbox, django_capture_on_commit_callbacks):
    clock = FakeClock(START + dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        request = _call(roster, clock)
    t0 = clock.now()
    assert request.ringing.expert == roster["experts"][0]
    assert request.escalation_due_at == t0 + dt.timedelta(seconds=180)  # SM42 delay from the data
    assert Notification.objects.filter(recipient=roster["experts"][0], kind="telehealth.urgent").exists()
    assert sms.outbox[-1].number.endswith("231000000") and "AVC" not in sms.outbox[-1].text  # no health detail by SMS
    assert mailoutbox[-1].to == [roster["experts"][0].email]

    clock.advance(seconds=179)
    assert services.run_due_escalations(clock=clock) == 0
    clock.advance(seconds=1)
    assert services.run_due_escalations(clock=clock) == 1
    request.refresh_from_db()
    assert request.ringing.expert == roster["experts"][1] and request.status == UrgentRequest.Status.RINGING
    assert _kinds(request) == [
        ("created", None, t0), ("rang", "neuro0", t0), ("escalated", "neuro1", t0 + dt.timedelta(seconds=180)),
    ]


def test_an_answer_stops_the_timer_and_records_the_act(roster):
    clock = FakeClock(START + dt.timedelta(minutes=5))
    request = _call(roster, clock)
    clock.advance(seconds=200)
    services.run_due_escalations(clock=clock)
    with pytest.raises(PermissionDenied):  # rank one was rung, but the call has moved on
        services.accept_urgent(roster["experts"][0], request, clock=clock)
    clock.advance(seconds=30)
    request = services.accept_urgent(roster["experts"][1], request, clock=clock)
    assert request.status == UrgentRequest.Status.ACCEPTED and request.closed_at == clock.now()
    clock.advance(hours=1)
    assert services.run_due_escalations(clock=clock) == 0
    assert _kinds(request)[-1] == ("accepted", "neuro1", START + dt.timedelta(minutes=5, seconds=230))
    act = Act.objects.get()
    assert act.kind == "urgent" and act.professional == roster["experts"][1]
    assert Notification.objects.filter(recipient=roster["urgentist"], title__contains="pris votre appel").exists()


def test_nobody_answers_the_requester_is_told(roster):
    clock = FakeClock(START + dt.timedelta(minutes=5))
    request = _call(roster, clock)
    for _ in range(3):
        clock.advance(seconds=180)
        services.run_due_escalations(clock=clock)
    request.refresh_from_db()
    assert request.status == UrgentRequest.Status.EXHAUSTED and request.escalation_due_at is None
    assert [k for k, _e, _t in _kinds(request)] == ["created", "rang", "escalated", "escalated", "exhausted"]
    assert Notification.objects.filter(recipient=roster["urgentist"], title__contains="aucun expert").exists()


def test_only_experts_on_call_at_that_time_are_rung(roster):
    late = FakeClock(START + dt.timedelta(hours=13))
    with pytest.raises(ValidationError) as error:
        _call(roster, late)
    assert "Aucun expert" in error.value.message_dict["specialty_code"][0]
    assert not UrgentRequest.objects.exists()


def test_the_management_command_runs_due_escalations(roster):
    clock = FakeClock(START + dt.timedelta(minutes=5))
    request = _call(roster, clock)
    UrgentRequest.objects.filter(pk=request.pk).update(escalation_due_at=request.escalation_due_at - dt.timedelta(days=400))
    call_command("telehealth_escalate")  # the real clock: the March roster is long over
    request.refresh_from_db()
    assert request.status == UrgentRequest.Status.EXHAUSTED
    assert UrgentEvent.objects.filter(request=request, kind="exhausted").count() == 1


def test_the_roster_checks_the_directory_and_who_keeps_it(roster):
    generalist = builders.professional("generaliste", specialty="SM54")
    with pytest.raises(ValidationError, match="n'exerce pas"):
        services.add_shift(roster["coordinator"], specialty_code="SM42", expert=generalist, starts_at=START, ends_at=START + dt.timedelta(hours=1))
    with pytest.raises(ValidationError, match="suivre"):
        services.add_shift(roster["coordinator"], specialty_code="SM42", expert=roster["experts"][0], starts_at=START, ends_at=START)
    with pytest.raises(PermissionDenied):
        services.add_shift(roster["urgentist"], specialty_code="SM42", expert=roster["experts"][0], starts_at=START, ends_at=START + dt.timedelta(hours=1))


def test_the_request_is_visible_to_its_parties_only(roster):
    from enrs.telehealth import selectors

    clock = FakeClock(START + dt.timedelta(minutes=5))
    request = _call(roster, clock)
    assert list(selectors.urgent_requests_for(roster["experts"][0])) == [request]
    assert list(selectors.urgent_requests_for(roster["urgentist"])) == [request]
    assert not selectors.urgent_requests_for(roster["experts"][2]).exists()  # not rung yet
