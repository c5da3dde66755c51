"""The patient rule, role by role and action by action, and the permission API around it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from enrs.access import selectors, services
from enrs.access.models import AccessGrant, BreakGlassAccess, Role
from enrs.core import permissions
from enrs.core.models import AccessEvent
from enrs.directory.models import ImportRun
from enrs.identity.models import Patient
from .builders import make_organisation, make_patient, make_patient_account, make_professional, make_user

ALL_ACTIONS = sorted(permissions.ACTIONS)
pytestmark = pytest.mark.django_db


def _allowed(user, patient) -> set[str]:
    return {action for action in ALL_ACTIONS if permissions.can(user, action, patient)}


def _with_role(role: str, kind: str = "pro"):
    user = make_user(kind)
    services.assign_role(user, role, organisation=make_organisation())
    return user


# --- Roles --------------------------------------------------------------------------------------
def test_roles_are_derived_from_the_account(pro, patient_account):
    assert selectors.roles_of(pro) == {Role.PROFESSIONAL}
    assert selectors.roles_of(patient_account[0]) == {Role.PATIENT}
    assert selectors.roles_of(make_user("agency")) == {Role.AGENCY_ADMIN}
    assert selectors.roles_of(make_user("pro", is_superuser=True)) == {Role.AGENCY_ADMIN}
    # A professional account without a directory record is not a professional.
    assert selectors.roles_of(make_user("pro")) == set()
    assert selectors.roles_of(AnonymousUser()) == set()
    assert selectors.roles_of(make_user("agency", is_active=False)) == set()


def test_role_assignments_count_only_inside_their_window():
    user = make_user("pro")
    now = timezone.now()
    services.assign_role(user, Role.OBSERVATORY_ANALYST, valid_from=now - dt.timedelta(days=2), valid_until=now - dt.timedelta(days=1))
    services.assign_role(user, Role.COORDINATOR, valid_from=now + dt.timedelta(days=1))
    assert selectors.roles_of(user) == set()
    services.assign_role(user, Role.ACCOUNT_REFERENT, valid_from=now - dt.timedelta(hours=1), valid_until=now + dt.timedelta(hours=1))
    assert selectors.roles_of(user) == {Role.ACCOUNT_REFERENT}


def test_assign_role_refuses_unknown_roles_and_inverted_periods():
    user = make_user("pro")
    with pytest.raises(Exception, match="Rôle inconnu"):
        services.assign_role(user, "superhero")
    now = timezone.now()
    with pytest.raises(Exception, match="La fin doit suivre le début"):
        services.assign_role(user, Role.COORDINATOR, valid_from=now, valid_until=now)


# --- The matrix ---------------------------------------------------------------------------------
READS = {"read", "export", "print"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("own patient", READS),
        ("other patient", set()),
        ("professional without link", {"search"}),
        ("care team member", READS | {"search"}),
        ("former care team member", {"search"}),
        ("future care team member", {"search"}),
        ("grantee", READS | {"search"}),
        ("expired grantee", {"search"}),
        ("revoked grantee", {"search"}),
        ("break-glass", READS | {"search"}),
        ("expired break-glass", {"search"}),
        ("coordinator in care team", READS | {"search"}),
        ("coordinator without link", {"search"}),
        ("identity vigilance", READS | {"search", "create", "update"}),
        ("agency admin", set(ALL_ACTIONS)),
        ("account referent", set()),
        ("observatory analyst", set()),
        ("professional account without directory record but with care link", set()),
        ("inactive care team member", set()),
    ],
)
def test_patient_rule_matrix(who, expected, org):
    patient = make_patient_account()[1]
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    if who == "own patient":
        user = patient.user
    elif who == "other patient":
        user = make_patient_account()[0]
    elif who in {"coordinator in care team", "coordinator without link"}:
        user = _with_role(Role.COORDINATOR)
    elif who == "identity vigilance":
        user = _with_role(Role.IDENTITY_VIGILANCE)
    elif who == "agency admin":
        user = make_user("agency")
    elif who == "account referent":
        user = _with_role(Role.ACCOUNT_REFERENT)
    elif who == "observatory analyst":
        user = _with_role(Role.OBSERVATORY_ANALYST)
    elif who == "professional account without directory record but with care link":
        user = make_user("pro")
    else:
        user = make_professional(org)
    if who in {"care team member", "coordinator in care team", "inactive care team member"}:
        services.add_care_team_member(patient, user, organisation=org)
    if who == "professional account without directory record but with care link":
        # Written directly: the service refuses such a member, the rule must refuse it too.
        patient.care_relationships.create(professional=user, organisation=org)
    if who == "former care team member":
        services.end_care_team_member(services.add_care_team_member(patient, user, start=now - 2 * hour), at=now - hour)
    if who == "future care team member":
        services.add_care_team_member(patient, user, start=now + hour)
    if who == "grantee":
        AccessGrant.objects.create(patient=patient, grantee=user, reason="avis spécialisé", expires_at=now + hour)
    if who == "expired grantee":
        AccessGrant.objects.create(patient=patient, grantee=user, reason="avis", created_at=now - 2 * hour, expires_at=now - hour)
    if who == "revoked grantee":
        services.revoke_grant(AccessGrant.objects.create(patient=patient, grantee=user, reason="avis", expires_at=now + hour))
    if who == "break-glass":
        services.break_glass(user, patient, "Patient inconscient admis aux urgences")
    if who == "expired break-glass":
        BreakGlassAccess.objects.create(patient=patient, user=user, reason="x" * 30, started_at=now - 5 * hour, expires_at=now - hour)
    if who == "inactive care team member":
        user.is_active = False
        user.save()
    assert _allowed(user, patient) == expected
    listed = permissions.filter_allowed(user, "read", Patient.objects.filter(pk=patient.pk))
    assert listed.exists() == ("read" in expected)


def test_anonymous_is_always_denied(patient_account):
    patient = patient_account[1]
    for action in ALL_ACTIONS:
        assert not permissions.can(AnonymousUser(), action, patient)
        assert not permissions.can(None, action, patient)
    assert not permissions.filter_allowed(AnonymousUser(), "read", Patient.objects.all()).exists()


def test_opposition_to_sharing_suspends_grants_but_not_the_care_team(org, patient_account):
    user, patient = patient_account
    member, grantee = make_professional(org), make_professional(org)
    services.add_care_team_member(patient, member, organisation=org)
    services.grant_access(patient, grantee, granted_by=member, reason="second avis cardiologique", expires_at=timezone.now() + dt.timedelta(days=1))
    assert permissions.can(grantee, "read", patient)
    services.set_consent(patient, by=user, opposes_sharing=True, opposes_break_glass=False)
    assert not permissions.can(grantee, "read", patient)
    assert permissions.can(member, "read", patient)
    with pytest.raises(Exception, match="opposé au partage"):
        services.grant_access(patient, make_professional(org), granted_by=member, reason="autre avis", expires_at=timezone.now() + dt.timedelta(days=1))


def test_opposition_to_break_glass_blocks_opening_and_cuts_an_open_access(pro, patient_account):
    user, patient = patient_account
    services.break_glass(pro, patient, "Détresse respiratoire, patient non communicant")
    assert permissions.can(pro, "read", patient)
    services.set_consent(patient, by=user, opposes_sharing=False, opposes_break_glass=True)
    assert not permissions.can(pro, "read", patient)
    with pytest.raises(PermissionDenied, match="opposé à l'accès en urgence"):
        services.break_glass(make_professional(), patient, "Détresse respiratoire, patient non communicant")


# --- The permission API itself --------------------------------------------------------------------
def test_unregistered_models_and_unknown_actions(pro):
    run = ImportRun.objects.create(kind="finess", file_name="x.csv")
    agency = make_user("agency", is_superuser=True)
    assert not permissions.can(agency, "read", run), "a model without rule is denied, even to a superuser"
    assert not permissions.filter_allowed(agency, "read", ImportRun.objects.all()).exists()
    with pytest.raises(ValueError):
        permissions.can(pro, "peek", make_patient())
    with pytest.raises(TypeError):
        permissions.can(pro, "read", {"patient": 1})
    with pytest.raises(ValueError):
        permissions.register_rule("identity.Patient", type("R", (permissions.Rule,), {"actions": frozenset({"peek"})})())


def test_require_raises_in_french_and_records_allowed_accesses(pro, org, patient_account):
    patient = patient_account[1]
    with pytest.raises(PermissionDenied, match="équipe de soins"):
        permissions.require(pro, "read", patient, channel="web")
    assert not AccessEvent.objects.exists(), "a refusal discloses nothing, so it is not an access"
    with pytest.raises(ValueError):
        permissions.require(pro, "read", patient, channel="pigeon")
    services.add_care_team_member(patient, pro, organisation=org, role="Médecin traitant")
    permissions.require(pro, "read", patient, channel="fhir", justification="consultation")
    event = AccessEvent.objects.get()
    assert (event.actor_id, event.patient_id, event.action, event.channel) == (pro.pk, patient.pk, "read", "fhir")
    assert (event.role, event.organisation_id, event.object_type, event.object_id) == (
        Role.PROFESSIONAL, org.pk, "identity.Patient", str(patient.pk))
    assert event.justification == "consultation" and not event.break_glass


def test_require_flags_break_glass_reads_in_the_trail(pro, patient_account):
    patient = patient_account[1]
    services.break_glass(pro, patient, "Arrêt cardiaque en salle d'attente")
    permissions.require(pro, "read", patient, channel="web")
    opening, read = AccessEvent.objects.order_by("sequence")
    assert opening.action == "create" and opening.break_glass and opening.object_type == "access.BreakGlassAccess"
    assert read.action == "read" and read.break_glass and read.justification == "Arrêt cardiaque en salle d'attente"


# --- Service rules -------------------------------------------------------------------------------
@pytest.fixture
def catalogue(db):
    from enrs.core.models import Service

    Service.objects.all().delete()
    Service.objects.create(code="hospit", name="Hôpital", eligible_colleges="A")
    Service.objects.create(code="ville", name="Ville", eligible_colleges="B")
    Service.objects.create(code="commun", name="Commun", institutional=True)
    Service.objects.create(code="ferme", name="Fermé", eligible_colleges="AB", enabled=False)
    Service.objects.create(code="patients", name="Patients", audience="patient", institutional=True)


def test_service_open_by_college(catalogue):
    hospital, practice = make_organisation("A"), make_organisation("B")
    assert permissions.service_open(hospital, "hospit") and not permissions.service_open(practice, "hospit")
    assert permissions.service_open(practice, "ville") and permissions.service_open(practice, "commun")
    assert not permissions.service_open(hospital, "ferme") and not permissions.service_open(hospital, "inconnu")


def test_service_open_for_users(catalogue):
    practitioner = make_professional(make_organisation("B"))
    assert permissions.service_open(practitioner, "ville") and not permissions.service_open(practitioner, "hospit")
    admin = make_user("agency")
    assert permissions.service_open(admin, "hospit") and permissions.service_open(admin, "ville")
    assert not permissions.service_open(AnonymousUser(), "ville")
    assert permissions.service_open(make_patient_account()[0], "patients")


def test_service_checks_registered_later_narrow_the_offer(catalogue):
    practice = make_organisation("B")
    check = lambda subject, service: service.code != "ville"  # noqa: E731 - a pack the organisation lacks
    permissions.register_service_check(check)
    try:
        assert not permissions.service_open(practice, "ville")
        assert permissions.service_open(practice, "commun")
    finally:
        permissions._service_checks.remove(check)
