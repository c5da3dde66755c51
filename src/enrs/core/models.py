"""Shared kernel models: the service registry behind the portal tiles.

The registry is data: each service of the catalogue is a row saying who may
use it (collèges, audience) and where it lives (``url_name``, empty until the
service is built). The membership issue will attach packs and tariffs to these
rows; the permission API reads them through ``enrs.core.services_registry``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

COLLEGE_CHOICES = [
    ("A", _("A – Établissements sanitaires")),
    ("B", _("B – Ville")),
    ("C", _("C – Établissements sociaux et médico-sociaux")),
    ("D", _("D – Réseaux de santé et structures transverses")),
    ("E", _("E – Consultatif")),
    ("F", _("F – Partenaires associés")),
]
COLLEGES = {code for code, _label in COLLEGE_CHOICES}


class Service(models.Model):
    class Audience(models.TextChoices):
        PROFESSIONAL = "pro", _("Professionnels")
        PATIENT = "patient", _("Patients")
        PUBLIC = "public", _("Tout public")
        # Listed in the catalogue only (national services, purchasing-centre contracts,
        # support offers): never a portal tile, never "open" through service_open.
        CATALOGUE = "catalogue", _("Catalogue uniquement")

    class Obtained(models.TextChoices):
        """How an organisation obtains the service (2025 catalogue, « en résumé »)."""

        INSTITUTIONAL = "institutional", _("Service institutionnel, gratuit")
        PACK_ADHERENT = "pack_adherent", _("Inclus dans le pack adhérent")
        PACK_COMPLEMENTAIRE = "pack_complementaire", _("Pack complémentaire")
        SPECIFIC_CONTRIBUTION = "specific_contribution", _("Contribution spécifique")
        PURCHASING_CENTRE = "purchasing_centre", _("Centrale d'achat")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(_("public"), max_length=10, choices=Audience.choices, default=Audience.PROFESSIONAL)
    eligible_colleges = models.CharField(
        _("collèges éligibles"),
        max_length=6,
        blank=True,
        help_text=_("Lettres des collèges qui peuvent utiliser le service, par exemple « ABCDF »."),
    )
    institutional = models.BooleanField(
        _("service institutionnel"),
        default=False,
        help_text=_("Gratuit pour tout professionnel de la région, adhérent ou non."),
    )
    url_name = models.CharField(
        _("route"), max_length=100, blank=True, help_text=_("Nom de la route Django ; vide tant que le service n'est pas en ligne.")
    )
    icon = models.CharField(_("icône"), max_length=40, blank=True)
    # Catalogue details (membership issue). Empty ``obtained_by`` means "no membership
    # condition": the service is open by collège alone, as before the catalogue existed.
    obtained_by = models.CharField(
        _("mode d'obtention"), max_length=30, choices=Obtained.choices, blank=True, default=""
    )
    family = models.CharField(_("famille du catalogue"), max_length=80, blank=True)
    team = models.CharField(_("équipe à contacter"), max_length=120, blank=True)
    access_mode = models.TextField(_("mode d'accès"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=100)
    enabled = models.BooleanField(_("actif"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name

    def open_to_college(self, college: str) -> bool:
        return self.institutional or (bool(college) and college in self.eligible_colleges)


# --- Access trail -----------------------------------------------------------
# The trail is append-only: the ORM refuses changes (below) and database
# triggers refuse them too (migration 0003). Rows reference users, patients and
# organisations by plain integer ids, not foreign keys, so that deleting a user
# or merging a patient never cascades into (or is blocked by) the trail.


class TrailIsAppendOnly(Exception):
    """Raised when code tries to change or delete an access-trail row."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TrailIsAppendOnly(_("La piste d'accès est en ajout seul : modification refusée."))

    def delete(self):
        raise TrailIsAppendOnly(_("La piste d'accès est en ajout seul : suppression refusée."))

    def bulk_update(self, objs, fields, batch_size=None):
        raise TrailIsAppendOnly(_("La piste d'accès est en ajout seul : modification refusée."))

    def bulk_create(self, *args, **kwargs):
        # Bulk inserts would bypass the hash chain; record() is the only way in.
        raise TrailIsAppendOnly(_("La piste d'accès s'alimente uniquement par enrs.core.audit.record()."))


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TrailIsAppendOnly(_("La piste d'accès est en ajout seul : modification refusée."))
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TrailIsAppendOnly(_("La piste d'accès est en ajout seul : suppression refusée."))


class AccessEvent(AppendOnlyModel):
    class Action(models.TextChoices):
        READ = "read", _("Consultation")
        CREATE = "create", _("Création")
        UPDATE = "update", _("Modification")
        DELETE = "delete", _("Suppression")
        EXPORT = "export", _("Export")
        PRINT = "print", _("Impression")
        SEARCH = "search", _("Recherche")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        FHIR = "fhir", _("FHIR")
        HL7 = "hl7", _("HL7")
        ADMIN = "admin", _("Administration")
        CLI = "cli", _("Ligne de commande")

    sequence = models.PositiveBigIntegerField(_("rang dans la chaîne"), unique=True)
    occurred_at = models.DateTimeField(_("date"), db_index=True)
    actor_id = models.BigIntegerField(_("utilisateur (id)"), null=True, blank=True, db_index=True)
    actor_display = models.CharField(_("utilisateur"), max_length=255, blank=True)
    role = models.CharField(_("rôle"), max_length=50, blank=True)
    organisation_id = models.BigIntegerField(_("organisation (id)"), null=True, blank=True)
    # No single-column index: ``core_access_patient_idx`` (patient, date) serves
    # every lookup by patient, and each index is paid on every append.
    patient_id = models.BigIntegerField(_("patient (id)"), null=True, blank=True)
    object_type = models.CharField(_("type d'objet"), max_length=100, blank=True)
    object_id = models.CharField(_("identifiant d'objet"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    justification = models.TextField(_("justification"), blank=True)
    break_glass = models.BooleanField(_("bris de glace"), default=False)
    request_id = models.CharField(_("identifiant de requête"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    previous_hash = models.CharField(_("empreinte précédente"), max_length=64)
    hash = models.CharField(_("empreinte"), max_length=64)

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("accès tracé")
        verbose_name_plural = _("piste d'accès")
        indexes = [models.Index(fields=["patient_id", "-occurred_at"], name="core_access_patient_idx")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type} {self.object_id}"


class AuditAnchor(AppendOnlyModel):
    """A signed checkpoint of the chain: proves how long it was at a given time."""

    last_sequence = models.PositiveBigIntegerField(_("dernier rang"))
    last_event_id = models.BigIntegerField(_("dernier événement (id)"))
    last_hash = models.CharField(_("dernière empreinte"), max_length=64)
    event_count = models.PositiveBigIntegerField(_("nombre d'événements"))
    created_at = models.DateTimeField(_("date"))
    signature = models.CharField(_("signature HMAC"), max_length=64)

    class Meta:
        ordering = ["last_sequence"]
        verbose_name = _("ancre de la piste")
        verbose_name_plural = _("ancres de la piste")

    def __str__(self) -> str:
        return f"⚓ {self.last_sequence}"


# The ``previous_hash`` of the first event of a chain.
GENESIS_HASH = "0" * 64


class AuditChainHead(models.Model):
    """One row: the tip of the chain, locked by each writer so it never forks.

    Not part of the evidence (verify reads events and anchors only); it saves
    the writer a lookup and gives PostgreSQL a row to lock.
    """

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    # The hash before ``last_hash``: lets PostgreSQL's single UPDATE … RETURNING
    # hand the appender the tip it chained onto (RETURNING only sees new values).
    previous_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        db_table = "core_audit_chain_head"


class Notification(models.Model):
    """A message for one user, shown in the portal and optionally sent by e-mail/SMS.

    Kept in the shared kernel because every service notifies (care team alerts,
    booking reminders, new chat messages, requests); ``kind`` says which one.
    The body must not carry health details beyond what the recipient may see:
    callers link to the screen, which applies the permission API.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("destinataire"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("type"), max_length=60)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("lien"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("envoyée par e-mail le"), null=True, blank=True)
    texted_at = models.DateTimeField(_("envoyée par SMS le"), null=True, blank=True)
    delivery_error = models.CharField(_("erreur d'envoi"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="core_notif_unread")]

    def __str__(self) -> str:
        return self.title
