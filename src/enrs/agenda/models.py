"""Shared agendas and online booking (e-RDV).

An ``Agenda`` (a professional, a team or a resource such as a room or a
teleconsultation cart) opens time through ``OpeningRule`` rows (an RFC 5545
RRULE for the days, a local start and end time for the hours) and closes it
through ``Absence`` rows and, unless told otherwise, French public holidays.
``Motif`` rows say what can be booked: duration, mode, who may book, minimum
notice and horizon. Slots are *computed* from these rules for a bounded window
(``enrs.agenda.slots``); they are never stored.

Booking can never double-book: an appointment claims every time cell
(``Agenda.granularity_minutes`` long) it covers in ``SlotClaim``, whose
``(agenda, start)`` pair is unique in the database. Two bookings that overlap
by even one cell cannot both commit, on SQLite and on PostgreSQL alike.
Cancelling or letting a hold expire deletes the claims.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GRANULARITIES = [(m, f"{m} min") for m in (5, 10, 15, 20, 30, 60)]


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class Circuit(models.Model):
    """Organisations that share reserved slots (e.g. a hospital unit and partner GP practices)."""

    name = models.CharField(_("nom du circuit"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    organisations = models.ManyToManyField(
        "directory.Organisation", verbose_name=_("structures membres"), related_name="agenda_circuits", blank=True
    )
    active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("circuit de prise de rendez-vous")
        verbose_name_plural = _("circuits de prise de rendez-vous")

    def __str__(self) -> str:
        return self.name


class Agenda(models.Model):
    class Kind(models.TextChoices):
        PROFESSIONAL = "professionnel", _("Professionnel")
        TEAM = "equipe", _("Équipe")
        RESOURCE = "ressource", _("Ressource (salle, chariot de téléconsultation…)")

    kind = models.CharField(_("type d'agenda"), max_length=14, choices=Kind.choices, default=Kind.PROFESSIONAL)
    name = models.CharField(_("nom"), max_length=200)
    folded_name = models.CharField(_("nom normalisé"), max_length=400, blank=True, db_index=True)
    professional = models.ForeignKey(
        "directory.Professional", verbose_name=_("professionnel"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="agendas",
    )
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("structure"), on_delete=models.PROTECT, related_name="agendas"
    )
    specialty_code = models.CharField(_("spécialité (code TRE_R38)"), max_length=10, blank=True, db_index=True)
    specialty_label = models.CharField(_("spécialité"), max_length=120, blank=True)
    granularity_minutes = models.PositiveSmallIntegerField(_("pas de l'agenda (minutes)"), choices=GRANULARITIES, default=15)
    closed_on_public_holidays = models.BooleanField(_("fermé les jours fériés"), default=True)
    published = models.BooleanField(_("publié pour la prise de rendez-vous en ligne"), default=False)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    commune_insee = models.CharField(_("code commune INSEE"), max_length=5, blank=True)
    latitude = models.FloatField(_("latitude (WGS84)"), null=True, blank=True)
    longitude = models.FloatField(_("longitude (WGS84)"), null=True, blank=True)
    ux = models.FloatField(null=True, blank=True, editable=False)
    uy = models.FloatField(null=True, blank=True, editable=False)
    uz = models.FloatField(null=True, blank=True, editable=False)
    offers_teleconsultation = models.BooleanField(_("propose la téléconsultation"), default=False, editable=False)
    # Cache of the next slot a patient may book (refreshed on every change, and lazily when stale).
    next_free_at = models.DateTimeField(_("prochain créneau libre"), null=True, blank=True, editable=False)
    next_free_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    feed_token = models.CharField(_("jeton du flux iCalendar"), max_length=64, unique=True, default=new_feed_token, editable=False)
    active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("agenda")
        verbose_name_plural = _("agendas")
        indexes = [
            models.Index(fields=["specialty_code", "published", "next_free_at"], name="agenda_specialty_next"),
            models.Index(fields=["latitude", "longitude"], name="agenda_lat_lon"),
        ]

    def __str__(self) -> str:
        return self.name


class Motif(models.Model):
    class Mode(models.TextChoices):
        IN_PERSON = "presentiel", _("Au cabinet / sur place")
        TELECONSULTATION = "teleconsultation", _("Téléconsultation")
        HOME_VISIT = "domicile", _("Visite à domicile")

    class Audience(models.TextChoices):
        CIRCUIT = "circuit", _("Confrères du circuit")
        PROFESSIONALS = "professionnels", _("Tout professionnel")
        PATIENTS = "patients", _("Patients (prise de rendez-vous en ligne)")

    agenda = models.ForeignKey(Agenda, verbose_name=_("agenda"), on_delete=models.CASCADE, related_name="motifs")
    label = models.CharField(_("motif"), max_length=200)
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"))
    mode = models.CharField(_("modalité"), max_length=16, choices=Mode.choices, default=Mode.IN_PERSON)
    audience = models.CharField(_("qui peut réserver"), max_length=14, choices=Audience.choices, default=Audience.PATIENTS)
    circuit = models.ForeignKey(
        Circuit, verbose_name=_("circuit"), on_delete=models.PROTECT, null=True, blank=True, related_name="motifs"
    )
    min_notice_minutes = models.PositiveIntegerField(_("délai minimal de réservation (minutes)"), default=120)
    horizon_days = models.PositiveSmallIntegerField(_("horizon de réservation (jours)"), default=60)
    cancel_notice_hours = models.PositiveSmallIntegerField(_("annulation en ligne jusqu'à (heures avant)"), default=24)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        ordering = ["agenda", "label"]
        verbose_name = _("motif de rendez-vous")
        verbose_name_plural = _("motifs de rendez-vous")

    def __str__(self) -> str:
        return f"{self.label} ({self.duration_minutes} min)"


class OpeningRule(models.Model):
    """Recurring opening hours: the days come from an RFC 5545 RRULE, the hours are local (Europe/Paris)."""

    agenda = models.ForeignKey(Agenda, verbose_name=_("agenda"), on_delete=models.CASCADE, related_name="rules")
    label = models.CharField(_("libellé"), max_length=120, blank=True)
    rrule = models.CharField(_("récurrence (RRULE)"), max_length=255, help_text="FREQ=WEEKLY;BYDAY=MO,TU,TH")
    start_date = models.DateField(_("à partir du"))
    end_date = models.DateField(_("jusqu'au"), null=True, blank=True)
    start_time = models.TimeField(_("heure d'ouverture"))
    end_time = models.TimeField(_("heure de fermeture"))
    motifs = models.ManyToManyField(Motif, verbose_name=_("motifs proposés (tous si vide)"), blank=True, related_name="rules")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agenda", "start_date", "start_time"]
        verbose_name = _("plage d'ouverture")
        verbose_name_plural = _("plages d'ouverture")

    def __str__(self) -> str:
        return f"{self.rrule} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class Absence(models.Model):
    agenda = models.ForeignKey(Agenda, verbose_name=_("agenda"), on_delete=models.CASCADE, related_name="absences")
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        ordering = ["agenda", "start"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        indexes = [models.Index(fields=["agenda", "start", "end"])]

    def __str__(self) -> str:
        return f"{self.agenda} {self.start:%Y-%m-%d %H:%M}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Créneau retenu, à confirmer")
        BOOKED = "booked", _("Confirmé")
        CANCELLED = "cancelled", _("Annulé")

    identifier = models.UUIDField(_("identifiant"), default=uuid.uuid4, unique=True, editable=False)
    external_identifier = models.CharField(
        _("identifiant externe (FHIR)"), max_length=200, blank=True, db_index=True,
        help_text=_("system|value reçu par l'API FHIR, pour la mise à jour conditionnelle."),
    )
    agenda = models.ForeignKey(Agenda, verbose_name=_("agenda"), on_delete=models.PROTECT, related_name="appointments")
    motif = models.ForeignKey(Motif, verbose_name=_("motif"), on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    hold_expires_at = models.DateTimeField(_("retenu jusqu'à"), null=True, blank=True)
    patient = models.ForeignKey(
        "identity.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="appointments",
    )
    patient_label = models.CharField(_("patient (libellé)"), max_length=200, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("réservé par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="agenda_bookings",
    )
    booked_by_organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("structure de l'auteur"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    contact_email = models.EmailField(_("e-mail de contact"), blank=True)
    contact_phone = models.CharField(_("téléphone de contact"), max_length=20, blank=True)
    comment = models.CharField(_("commentaire"), max_length=500, blank=True)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rescheduled_from = models.OneToOneField(
        "self", verbose_name=_("déplacé depuis"), on_delete=models.SET_NULL, null=True, blank=True, related_name="rescheduled_to"
    )
    reminded_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = _("rendez-vous")
        verbose_name_plural = _("rendez-vous")
        indexes = [
            models.Index(fields=["agenda", "start"]),
            models.Index(fields=["status", "start"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="agenda_appointment_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.agenda} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.BOOKED)


class SlotClaim(models.Model):
    """One time cell of an agenda taken by an active appointment: the database-level no-double-booking guarantee."""

    agenda = models.ForeignKey(Agenda, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="claims")

    class Meta:
        verbose_name = _("cellule réservée")
        verbose_name_plural = _("cellules réservées")
        constraints = [models.UniqueConstraint(fields=["agenda", "start"], name="agenda_one_claim_per_cell")]


class WaitingListEntry(models.Model):
    """A patient waiting for an earlier slot of a motif; told when one frees up."""

    motif = models.ForeignKey(Motif, verbose_name=_("motif"), on_delete=models.CASCADE, related_name="waiting")
    patient = models.ForeignKey("identity.Patient", verbose_name=_("patient"), on_delete=models.CASCADE, related_name="+")
    before = models.DateTimeField(_("souhaite un créneau avant le"))
    notified_at = models.DateTimeField(_("prévenu le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("inscription en liste d'attente")
        verbose_name_plural = _("liste d'attente")
        constraints = [models.UniqueConstraint(fields=["motif", "patient"], name="agenda_one_waiting_entry")]
