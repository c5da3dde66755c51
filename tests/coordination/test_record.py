"""The record and its care team: the team drives access.CareRelationship, hence the permission API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from enrs.access.models import CareRelationship
from enrs.coordination import selectors, services
from enrs.coordination.models import CoordinationRecord, TimelineEvent
from enrs.core import permissions
from enrs.core.models import AccessEvent

pytestmark = pytest.mark.django_db


def test_opening_a_record_takes_the_existing_care_team(record, gp):
    member = record.team.get()
    assert member.professional == gp and member.referent and member.relationship is not None
    assert record.events.filter(kind=TimelineEvent.Kind.RECORD).exists()
    assert services.open_record(record.patient, by=gp) == record


def test_an_outsider_cannot_open_nor_read_the_record(record, outsider, patient):
    with pytest.raises(PermissionDenied):
        services.open_record(patient, by=outsider)
    assert not permissions.can(outsider, "read", record)
    assert list(selectors.records_for(outsider)) == []


def test_adding_a_nurse_lets_her_in_and_ending_lets_her_out(record, gp, nurse):
    assert not permissions.can(nurse, "read", record)
    member = services.add_member(record, nurse, role="Infirmière libérale", by=gp)
    assert CareRelationship.objects.active().filter(professional=nurse, patient=record.patient).exists()
    assert permissions.can(nurse, "read", record) and permissions.can(nurse, "update", record)
    assert list(selectors.records_for(nurse)) == [record]
    services.end_member(member, by=gp)
    assert not CareRelationship.objects.active().filter(professional=nurse, patient=record.patient).exists()
    assert not permissions.can(nurse, "read", record)


def test_a_member_with_an_end_date_leaves_by_himself(record, gp, nurse):
    end = timezone.now() + dt.timedelta(days=2)
    services.add_member(record, nurse, role="IDE", by=gp, end=end)
    assert permissions.can(nurse, "read", record)
    assert CareRelationship.objects.get(professional=nurse).end == end
    assert not CareRelationship.objects.active(end + dt.timedelta(seconds=1)).filter(professional=nurse).exists()


def test_team_errors_are_french_and_store_nothing(record, gp, nurse, patient_user):
    with pytest.raises(ValidationError) as caught:
        services.add_member(record, nurse, role="  ", by=gp)
    assert "obligatoire" in str(caught.value)
    with pytest.raises(ValidationError):
        services.add_member(record, patient_user, role="Aidant", by=gp)  # not a professional
    services.add_member(record, nurse, role="IDE", by=gp)
    with pytest.raises(ValidationError) as caught:
        services.add_member(record, nurse, role="IDE", by=gp)
    assert "déjà" in str(caught.value)
    assert record.team.count() == 2 and CareRelationship.objects.filter(professional=nurse).count() == 1


def test_only_one_referent(record, gp, nurse):
    services.add_member(record, nurse, role="IDE", by=gp, referent=True)
    assert list(record.team.filter(referent=True).values_list("professional", flat=True)) == [nurse.pk]


def test_patient_reads_his_record_but_never_writes(record, patient_user):
    assert permissions.can(patient_user, "read", record)
    assert not permissions.can(patient_user, "update", record)
    with pytest.raises(PermissionDenied):
        services.add_note(record, "x", by=patient_user)


def test_identity_roles_do_not_see_records(record, vigilance):
    assert permissions.can(vigilance, "read", record.patient)  # identity traits: yes
    assert not permissions.can(vigilance, "read", record)  # the record: no
    assert list(selectors.records_for(vigilance)) == []


def test_every_write_is_trailed(record, gp):
    before = AccessEvent.objects.filter(patient_id=record.patient_id, object_type="coordination.CoordinationRecord").count()
    services.add_note(record, "Visite faite, tout va bien.", by=gp)
    services.create_task(record, title="Rappeler la patiente", by=gp)
    after = AccessEvent.objects.filter(patient_id=record.patient_id, object_type="coordination.CoordinationRecord").count()
    assert after == before + 2


def test_tasks_go_to_active_members_only(record, gp, outsider):
    with pytest.raises(ValidationError):
        services.create_task(record, title="x", assignee=outsider, by=gp)


def test_filter_and_basis_agree(record, gp, nurse, outsider, patient_user, vigilance):
    services.add_member(record, nurse, role="IDE", by=gp)
    other = CoordinationRecord.objects.count()
    for user in (gp, nurse, outsider, patient_user, vigilance):
        for action in ("read", "update", "export"):
            listed = set(permissions.filter_allowed(user, action, CoordinationRecord.objects.all()))
            allowed = {r for r in CoordinationRecord.objects.all() if permissions.can(user, action, r)}
            assert listed == allowed, (user, action)
    assert other == 1
