"""Property tests: generated users, patients, care links, grants, break-glass and oppositions.

Each example runs in a rolled-back transaction and is checked against an
independent oracle written from the rules in docs/security/habilitations.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrs.access import services
from enrs.access.models import AccessGrant, BreakGlassAccess, CareRelationship, PatientConsent, Role
from enrs.core import permissions
from enrs.identity.models import Patient

from .builders import make_organisation, make_patient, make_patient_account, make_professional, make_user

SUBJECTS = ["professional", "coordinator", "patient", "pro_without_record", "agency", "identity_vigilance", "analyst"]
WINDOWS = ["none", "active", "past", "future"]  # relative to now
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Links:
    care: str
    grant: str
    grant_revoked: bool
    emergency: str
    opposes_sharing: bool
    opposes_break_glass: bool
    own: bool


links = st.builds(
    Links,
    care=st.sampled_from(WINDOWS),
    grant=st.sampled_from(WINDOWS),
    grant_revoked=st.booleans(),
    emergency=st.sampled_from(WINDOWS),
    opposes_sharing=st.booleans(),
    opposes_break_glass=st.booleans(),
    own=st.booleans(),
)
scenario = st.tuples(st.sampled_from(SUBJECTS), st.lists(links, min_size=1, max_size=3), st.integers(1, 500))
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _window(kind: str, now, offset_minutes: int) -> tuple:
    offset = dt.timedelta(minutes=offset_minutes)
    return {
        "active": (now - offset, now + offset),
        "past": (now - 2 * offset - HOUR, now - offset),
        "future": (now + offset, now + 2 * offset + HOUR),
    }[kind]


def _subject(kind: str, org):
    if kind == "professional":
        return make_professional(org)
    if kind == "patient":
        return make_user("patient")
    if kind == "agency":
        return make_user("agency")
    user = make_user("pro")
    role = {"coordinator": Role.COORDINATOR, "identity_vigilance": Role.IDENTITY_VIGILANCE, "analyst": Role.OBSERVATORY_ANALYST}
    if kind in role:
        services.assign_role(user, role[kind])
    return user


def _build(subject, link: Links, org, now, minutes: int) -> Patient:
    own = link.own and subject.kind == "patient" and not Patient.objects.filter(user=subject).exists()
    patient = make_patient(user=subject if own else None)
    if link.care != "none":
        start, end = _window(link.care, now, minutes)
        CareRelationship.objects.create(patient=patient, professional=subject, organisation=org, start=start, end=end)
    if link.grant != "none":
        start, end = _window(link.grant, now, minutes)
        AccessGrant.objects.create(
            patient=patient, grantee=subject, reason="avis", created_at=start, expires_at=end,
            revoked_at=start if link.grant_revoked else None,
        )  # fmt: skip
    if link.emergency != "none":
        start, end = _window(link.emergency, now, minutes)
        BreakGlassAccess.objects.create(patient=patient, user=subject, reason="r" * 30, started_at=start, expires_at=end)
    PatientConsent.objects.create(
        patient=patient, opposes_sharing=link.opposes_sharing, opposes_break_glass=link.opposes_break_glass
    )
    return patient


def oracle_can_read(kind: str, link: Links, patient, subject) -> bool:
    """The rule written from the documentation, independently of enrs.access.rules."""
    if kind in {"agency", "identity_vigilance"}:
        return True
    if kind == "patient":
        return patient.user_id == subject.pk
    if kind not in {"professional", "coordinator"}:
        return False
    grant_counts = link.grant == "active" and not link.grant_revoked and not link.opposes_sharing
    emergency_counts = link.emergency == "active" and not link.opposes_break_glass
    return link.care == "active" or grant_counts or emergency_counts


def _in_rolled_back_transaction(check):
    with transaction.atomic():
        check()
        transaction.set_rollback(True)


@pytest.mark.django_db
@SETTINGS
@given(scenario)
def test_can_read_matches_the_oracle_and_the_list_filter(generated):
    kind, all_links, minutes = generated

    def check():
        org = make_organisation()
        subject = _subject(kind, org)
        now = timezone.now()
        patients = [_build(subject, link, org, now, minutes) for link in all_links]
        for patient, link in zip(patients, all_links, strict=True):
            assert permissions.can(subject, "read", patient) == oracle_can_read(kind, link, patient, subject), (kind, link)
        everyone = Patient.objects.filter(pk__in=[p.pk for p in patients])
        for action in sorted(permissions.ACTIONS):
            listed = set(permissions.filter_allowed(subject, action, everyone))
            assert listed == {p for p in patients if permissions.can(subject, action, p)}, action

    _in_rolled_back_transaction(check)


@pytest.mark.django_db
@SETTINGS
@given(st.lists(links, min_size=1, max_size=3), st.integers(1, 500))
def test_a_professional_without_care_link_grant_or_break_glass_is_always_denied(all_links, minutes):
    def check():
        org = make_organisation()
        subject = make_professional(org)
        now = timezone.now()
        for link in all_links:
            idle = Links("past" if link.care == "active" else link.care,
                         "past" if link.grant == "active" else link.grant, link.grant_revoked,
                         "past" if link.emergency == "active" else link.emergency,
                         link.opposes_sharing, link.opposes_break_glass, link.own)  # fmt: skip
            patient = _build(subject, idle, org, now, minutes)
            assert not any(permissions.can(subject, action, patient) for action in permissions.ACTIONS - {"search"})

    _in_rolled_back_transaction(check)


@pytest.mark.django_db
@SETTINGS
@given(st.booleans(), st.sampled_from(WINDOWS), st.text(min_size=20, max_size=60).filter(lambda s: len(" ".join(s.split())) >= 20))
def test_opposition_to_break_glass_always_blocks_break_glass(in_team_elsewhere, grant, reason):
    def check():
        org = make_organisation()
        subject = make_professional(org)
        patient = make_patient_account()[1]
        PatientConsent.objects.create(patient=patient, opposes_break_glass=True)
        if in_team_elsewhere:
            services.add_care_team_member(make_patient(), subject, organisation=org)
        with pytest.raises(PermissionDenied):
            services.break_glass(subject, patient, reason)
        assert not BreakGlassAccess.objects.filter(patient=patient).exists()

    _in_rolled_back_transaction(check)


@pytest.mark.django_db
@settings(SETTINGS, max_examples=15)
@given(st.integers(0, 10_000))
def test_an_expired_grant_never_allows(minutes_ago):
    def check():
        subject = make_professional(make_organisation())
        patient = make_patient()
        now = timezone.now()
        expired = now - dt.timedelta(minutes=minutes_ago, seconds=1)
        AccessGrant.objects.create(patient=patient, grantee=subject, reason="avis", created_at=expired - HOUR, expires_at=expired)
        assert not permissions.can(subject, "read", patient)
        assert not permissions.filter_allowed(subject, "read", Patient.objects.all()).exists()

    _in_rolled_back_transaction(check)
