"""Telehealth records. Every row about a patient is reached through the permission API
(``enrs.telehealth.rules``); files are kept in ``storages["documents"]`` after ``check_upload``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class StoredFile(models.Model):
    """A file checked by ``check_upload`` and kept in the documents store (name, type, hash)."""

    file_name = models.CharField(_("nom du fichier"), max_length=200)
    storage_name = models.CharField(max_length=300)
    media_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


# --- Telemonitoring -------------------------------------------------------------------------
class Enrolment(models.Model):
    patient = models.ForeignKey("identity.Patient", on_delete=models.PROTECT, related_name="telemonitoring_enrolments")
    programme = models.CharField(_("programme"), max_length=40, db_index=True)
    monitoring_doctor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="monitored_enrolments")
    expert_centre = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    inr_target_low = models.DecimalField(_("INR cible bas"), max_digits=4, decimal_places=1, null=True, blank=True)
    inr_target_high = models.DecimalField(_("INR cible haut"), max_digits=4, decimal_places=1, null=True, blank=True)
    treatment = models.CharField(_("traitement"), max_length=200, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    enrolled_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "programme"], condition=models.Q(ended_at__isnull=True), name="telehealth_one_open_enrolment"
            )
        ]


class InrResult(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="inr_results")
    measured_at = models.DateTimeField()
    value = models.DecimalField(max_digits=4, decimal_places=1)
    target_low = models.DecimalField(max_digits=4, decimal_places=1)
    target_high = models.DecimalField(max_digits=4, decimal_places=1)
    verdict = models.CharField(max_length=5)  # low / in / high
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-measured_at", "-pk"]


class DoseChange(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="dose_changes")
    inr_result = models.ForeignKey(InrResult, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    previous_dose = models.CharField(_("posologie précédente"), max_length=120)
    new_dose = models.CharField(_("nouvelle posologie"), max_length=120)
    next_check_on = models.DateField(_("prochain contrôle INR"), null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=300, blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-pk"]


class WoundAssessment(StoredFile):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="wound_assessments")
    assessed_at = models.DateTimeField()
    length_mm = models.DecimalField(max_digits=5, decimal_places=1)
    width_mm = models.DecimalField(max_digits=5, decimal_places=1)
    depth_mm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["assessed_at", "pk"]

    @property
    def area_mm2(self):
        return self.length_mm * self.width_mm


class QuestionnaireAnswer(models.Model):
    """A FHIR QuestionnaireResponse the patient (or a professional) filled in."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="answers")
    questionnaire = models.CharField(max_length=40)
    answers = models.JSONField()
    authored_at = models.DateTimeField()
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-authored_at", "-pk"]


class Alert(models.Model):
    class Kind(models.TextChoices):
        INR_LOW = "inr_low", _("INR sous la cible")
        INR_HIGH = "inr_high", _("INR au-dessus de la cible")
        WOUND = "wound", _("Plaie qui s'aggrave")
        QUESTIONNAIRE = "questionnaire", _("Réponse à un questionnaire")
        OVERDUE = "overdue", _("Questionnaire en retard")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.CharField(max_length=300)
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-raised_at", "-pk"]


# --- Urgent tele-advice ------------------------------------------------------------------------
class OnCallShift(models.Model):
    specialty_code = models.CharField(_("spécialité (TRE_R38)"), max_length=10, db_index=True)
    expert = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="on_call_shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    rank = models.PositiveSmallIntegerField(_("rang d'appel"), default=1)

    class Meta:
        ordering = ["specialty_code", "starts_at", "rank", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="telehealth_shift_order")]


class UrgentRequest(models.Model):
    class Status(models.TextChoices):
        RINGING = "ringing", _("Appel en cours")
        ACCEPTED = "accepted", _("Pris en charge")
        EXHAUSTED = "exhausted", _("Aucun expert n'a répondu")
        CANCELLED = "cancelled", _("Annulée")

    patient = models.ForeignKey("identity.Patient", on_delete=models.PROTECT, related_name="+")
    specialty_code = models.CharField(max_length=10)
    requester = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("motif"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RINGING, db_index=True)
    ringing = models.ForeignKey(OnCallShift, on_delete=models.PROTECT, null=True, related_name="+")
    escalation_due_at = models.DateTimeField(null=True, db_index=True)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class UrgentEvent(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", _("Demande créée")
        RANG = "rang", _("Expert appelé")
        ESCALATED = "escalated", _("Sans réponse : expert suivant")
        ACCEPTED = "accepted", _("Prise en charge")
        EXHAUSTED = "exhausted", _("Plus aucun expert d'astreinte")

    request = models.ForeignKey(UrgentRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    expert = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["at", "pk"]


# --- Tele-expertise ------------------------------------------------------------------------------
class ExpertiseRequest(models.Model):
    class Status(models.TextChoices):
        SENT = "sent", _("Envoyée")
        ACCEPTED = "accepted", _("Acceptée")
        ANSWERED = "answered", _("Répondue")
        DECLINED = "declined", _("Déclinée")
        CANCELLED = "cancelled", _("Annulée")

    patient = models.ForeignKey("identity.Patient", on_delete=models.PROTECT, related_name="+")
    requester = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    expert = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    expert_team = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    question = models.TextField(_("question"))
    clinical_context = models.TextField(_("contexte clinique"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT, db_index=True)
    sent_at = models.DateTimeField()
    due_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answer = models.TextField(_("réponse"), blank=True)
    decline_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expert__isnull=False) | models.Q(expert_team__isnull=False), name="telehealth_expertise_has_expert"
            )
        ]


class ExpertiseAttachment(StoredFile):
    request = models.ForeignKey(ExpertiseRequest, on_delete=models.CASCADE, related_name="attachments")


# --- Acts (statistics and billing) -------------------------------------------------------------
class Act(models.Model):
    class Kind(models.TextChoices):
        TELECONSULTATION = "teleconsultation", _("Téléconsultation")
        TELEEXPERTISE = "teleexpertise", _("Téléexpertise")
        TELESOIN = "telesoin", _("Télésoin")
        URGENT = "urgent", _("Téléavis urgent")
        TELESURVEILLANCE = "telesurveillance", _("Télésurveillance")

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    patient = models.ForeignKey("identity.Patient", on_delete=models.PROTECT, related_name="+")
    professional = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    party = models.CharField(max_length=20, default="professional")  # requester / expert / professional
    billing_code = models.CharField(max_length=10, blank=True)
    amount = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    amount_unconfirmed = models.BooleanField(default=False)  # the tariff is data the reference does not confirm
    performed_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=60, blank=True)  # e.g. "expertise:12"

    class Meta:
        ordering = ["-performed_at", "-pk"]


# --- e-RCP / e-Staff ------------------------------------------------------------------------------
class Meeting(models.Model):
    class Kind(models.TextChoices):
        RCP = "rcp", _("e-RCP (réunion de concertation pluridisciplinaire)")
        STAFF = "staff", _("e-Staff")

    kind = models.CharField(max_length=5, choices=Kind.choices)
    title = models.CharField(_("intitulé"), max_length=200)
    scheduled_at = models.DateTimeField(_("date et heure"))
    organiser = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    participants = models.ManyToManyField(USER, related_name="telehealth_meetings", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-pk"]


class MeetingCase(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="cases")
    patient = models.ForeignKey("identity.Patient", on_delete=models.PROTECT, related_name="+")
    presenter = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    question = models.TextField(_("question posée"))
    position = models.PositiveSmallIntegerField(default=1)
    decision = models.TextField(_("décision"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]


class CaseDocument(StoredFile):
    case = models.ForeignKey(MeetingCase, on_delete=models.CASCADE, related_name="documents")


# --- Video rooms (teleconsultation, synchronous tele-expertise, e-RCP meetings) ---------------------
class VideoRoom(models.Model):
    """A WebRTC room: full mesh of peer connections, signaling over ``ws/telesante/salle/<id>/``."""

    class Kind(models.TextChoices):
        TELECONSULTATION = "teleconsultation", _("Téléconsultation")
        EXPERTISE = "expertise", _("Télé-expertise synchrone")
        MEETING = "meeting", _("Réunion e-RCP / e-Staff")

    class Status(models.TextChoices):
        WAITING = "waiting", _("En attente")
        LIVE = "live", _("En cours")
        ENDED = "ended", _("Terminée")

    kind = models.CharField(_("type de salle"), max_length=20, choices=Kind.choices, default=Kind.TELECONSULTATION)
    title = models.CharField(_("intitulé"), max_length=200)
    patient = models.ForeignKey("identity.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    host = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="hosted_video_rooms")
    appointment = models.OneToOneField(
        "agenda.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="video_room"
    )
    expertise = models.ForeignKey(ExpertiseRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="rooms")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="rooms")
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("fermeture"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    max_participants = models.PositiveSmallIntegerField(default=6)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_at", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(max_participants__lte=6), name="telehealth_room_mesh_max_6")]

    def __str__(self) -> str:
        return self.title


class RoomInvitation(models.Model):
    class Role(models.TextChoices):
        HOST = "host", _("Hôte")
        GUEST = "guest", _("Invité")
        THIRD = "third", _("Tiers (ex. infirmier auprès du patient)")

    room = models.ForeignKey(VideoRoom, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="room_invitations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.GUEST)
    token_sha256 = models.CharField(max_length=64, unique=True)  # the link's token is never stored in clear
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    admitted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["room", "pk"]
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="telehealth_one_invitation_per_user")]


class ConsentRecord(models.Model):
    """The patient's consent to the teleconsultation (CSP L.1111-2 / L.1111-4), with the text version."""

    room = models.ForeignKey(VideoRoom, on_delete=models.CASCADE, related_name="consents")
    patient = models.ForeignKey("identity.Patient", on_delete=models.PROTECT, related_name="+")
    given = models.BooleanField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    text_version = models.CharField(max_length=20)

    class Meta:
        ordering = ["-recorded_at", "-pk"]


class RoomPresence(models.Model):
    """One open signaling socket (deleted on disconnect): counts the mesh, maps peers to channels."""

    room = models.ForeignKey(VideoRoom, on_delete=models.CASCADE, related_name="presences")
    invitation = models.ForeignKey(RoomInvitation, on_delete=models.CASCADE, related_name="presences")
    peer_id = models.CharField(max_length=32, unique=True)
    channel_name = models.CharField(max_length=200)
    live = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)


class SessionDocument(StoredFile):
    room = models.ForeignKey(VideoRoom, on_delete=models.CASCADE, related_name="documents")


class RoomReport(models.Model):
    room = models.OneToOneField(VideoRoom, on_delete=models.PROTECT, related_name="report")
    template_code = models.CharField(max_length=40)
    text = models.TextField()
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    coordination_document_id = models.PositiveIntegerField(null=True, blank=True)
    mssante_dispatch_id = models.PositiveIntegerField(null=True, blank=True)
