"""Object rules of the telehealth records, registered with ``enrs.core.permissions``.

Every record is about a patient, so every access is trailed. Who may reach one:
- its parties: the monitoring doctor of an enrolment, the requester and the expert (or a member
  of the expert team) of a tele-expertise, the requester and every expert rung for an urgent
  request, the organiser and participants of an e-RCP meeting for its cases;
- the patient's care team (care relationship, grant, break-glass: the patient rule of
  ``enrs.access`` decides) for reads, and for writes by care roles;
- the patient himself reads his own enrolments.
Identity-vigilance and agency roles do not reach clinical telehealth data.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from enrs.access.models import Role
from enrs.access.selectors import roles_of
from enrs.core import permissions
from enrs.core.permissions import Basis
from enrs.directory import selectors as directory_selectors
from enrs.identity.models import Patient

CARE = frozenset({Role.PROFESSIONAL, Role.COORDINATOR})
IDENTITY_ROLES = frozenset({Role.AGENCY_ADMIN, Role.IDENTITY_VIGILANCE})


def care_basis(user, patient, *, patient_may: bool = False) -> Basis | None:
    """The patient rule's basis, kept only for care roles (and the patient himself if allowed)."""
    if patient is None or patient.pk is None:
        return None
    granted = permissions.basis(user, "read", patient)
    if granted is None:
        return None
    if granted.role in CARE or (patient_may and granted.role == Role.PATIENT):
        return granted
    return None


def care_patient_ids(user, *, patient_may: bool) -> QuerySet | None:
    """Patients reachable by ``care_basis`` (as a subquery), or None when none can be."""
    roles = roles_of(user)
    if roles & IDENTITY_ROLES:
        return None  # their patient basis is an identity duty, never care (see care_basis)
    if roles & CARE:
        return permissions.filter_allowed(user, "read", Patient.objects.all()).values("pk")
    if patient_may and Role.PATIENT in roles:
        return Patient.objects.filter(user=user).values("pk")
    return None


def team_organisation_ids(user) -> list[int]:
    professional = directory_selectors.professional_of_user(user)
    return [o.pk for o in directory_selectors.organisations_of(professional)]


class _TelehealthRule(permissions.Rule):
    actions = frozenset({"read", "create", "update", "print"})
    personal_health_data = True
    denied_message = _("Vous ne participez pas à cet acte de télésanté et n'avez pas accès à ce patient.")
    patient_path = "patient"

    def party(self, user, action: str, obj) -> bool:
        return False

    def party_q(self, user, action: str) -> Q:
        return Q(pk__in=[])

    def patient_of(self, obj):
        return obj.patient

    def patient_id(self, obj) -> int | None:
        return self.patient_of(obj).pk

    def basis(self, user, action: str, obj) -> Basis | None:
        if obj.pk is not None and self.party(user, action, obj):
            return Basis(role=Role.PROFESSIONAL if Role.PROFESSIONAL in roles_of(user) else "party")
        return care_basis(user, self.patient_of(obj), patient_may=action in {"read", "print"} and self.patient_reads)

    def filter(self, user, action: str, queryset: QuerySet) -> QuerySet:
        condition = self.party_q(user, action)
        patients = care_patient_ids(user, patient_may=action in {"read", "print"} and self.patient_reads)
        if patients is not None:
            condition |= Q(**{f"{self.patient_path}__in": patients})
        return queryset.filter(condition)

    patient_reads = False


class EnrolmentRule(_TelehealthRule):
    patient_reads = True

    """The monitoring doctor and, for follow-up, the professionals of the expert centre."""

    def party(self, user, action, obj) -> bool:
        if obj.monitoring_doctor_id == user.pk:
            return True
        return obj.expert_centre_id is not None and obj.expert_centre_id in team_organisation_ids(user)

    def party_q(self, user, action) -> Q:
        return Q(monitoring_doctor=user) | Q(expert_centre_id__in=team_organisation_ids(user))


class ExpertiseRule(_TelehealthRule):
    def party(self, user, action, obj) -> bool:
        if action in {"read", "print"} and obj.requester_id == user.pk:
            return True
        return obj.expert_id == user.pk or (obj.expert_team_id is not None and obj.expert_team_id in team_organisation_ids(user))

    def party_q(self, user, action) -> Q:
        experts = Q(expert=user) | Q(expert_team_id__in=team_organisation_ids(user))
        return experts | Q(requester=user) if action in {"read", "print"} else experts


class UrgentRule(_TelehealthRule):
    def party(self, user, action, obj) -> bool:
        return obj.requester_id == user.pk or obj.events.filter(expert=user).exists()

    def party_q(self, user, action) -> Q:
        return Q(requester=user) | Q(events__expert=user)

    def filter(self, user, action, queryset):
        return super().filter(user, action, queryset).distinct()


class MeetingCaseRule(_TelehealthRule):
    def party(self, user, action, obj) -> bool:
        meeting = obj.meeting
        return meeting.organiser_id == user.pk or meeting.participants.filter(pk=user.pk).exists()

    def party_q(self, user, action) -> Q:
        return Q(meeting__organiser=user) | Q(meeting__participants=user)

    def filter(self, user, action, queryset):
        return super().filter(user, action, queryset).distinct()


class VideoRoomRule(_TelehealthRule):
    """A video room is reached by the users invited to it (host, guest, third party), nobody else:
    the patient's care team does not walk into a teleconsultation uninvited."""

    actions = frozenset({"read", "update"})
    denied_message = _("Vous n'êtes pas invité à cette salle.")

    def patient_id(self, obj) -> int | None:
        return obj.patient_id

    def basis(self, user, action: str, obj) -> Basis | None:
        if obj.pk is None or not getattr(user, "is_authenticated", False):
            return None
        invitation = obj.invitations.filter(user=user).first()
        if invitation is None or (action == "update" and invitation.role != "host"):
            return None
        return Basis(role=Role.PATIENT if obj.patient_id and obj.patient.user_id == user.pk else invitation.role)

    def filter(self, user, action: str, queryset: QuerySet) -> QuerySet:
        condition = Q(invitations__user=user)
        if action == "update":
            condition &= Q(invitations__role="host")
        return queryset.filter(condition).distinct()


def register() -> None:
    permissions.register_rule("telehealth.Enrolment", EnrolmentRule())
    permissions.register_rule("telehealth.ExpertiseRequest", ExpertiseRule())
    permissions.register_rule("telehealth.UrgentRequest", UrgentRule())
    permissions.register_rule("telehealth.MeetingCase", MeetingCaseRule())
    permissions.register_rule("telehealth.VideoRoom", VideoRoomRule())
