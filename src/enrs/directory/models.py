"""Directory (annuaire): organisations, professionals and their practice situations.

Modelled after the Annuaire Santé / FR Core split: a legal entity (FINESS EJ)
owns geographic establishments (FINESS ET); a professional (RPPS or ADELI)
practises in organisations through practice situations (FHIR PractitionerRole).
Writes go through ``enrs.directory.services``; reads through ``selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from enrs.core.models import COLLEGE_CHOICES


class Organisation(models.Model):
    class Kind(models.TextChoices):
        GHT = "GHT", _("Groupement hospitalier de territoire")
        CHU = "CHU", _("Centre hospitalier universitaire")
        CH = "CH", _("Centre hospitalier")
        CLINIQUE = "CLINIQUE", _("Clinique")
        CLCC = "CLCC", _("Centre de lutte contre le cancer")
        HAD = "HAD", _("Hospitalisation à domicile")
        EHPAD = "EHPAD", _("EHPAD")
        SSIAD = "SSIAD", _("SSIAD")
        MAS = "MAS", _("Maison d'accueil spécialisée")
        MSP = "MSP", _("Maison de santé pluriprofessionnelle")
        CDS = "CDS", _("Centre de santé")
        CPTS = "CPTS", _("CPTS")
        DAC = "DAC", _("Dispositif d'appui à la coordination")
        CABINET = "CABINET", _("Cabinet libéral")
        PHARMACIE = "PHARMACIE", _("Pharmacie d'officine")
        LABO = "LABO", _("Laboratoire de biologie médicale")
        RESEAU = "RESEAU", _("Réseau de santé / association")
        FEDERATION = "FEDERATION", _("Fédération / URPS")
        PARTENAIRE = "PARTENAIRE", _("Collectivité / université")
        AUTRE = "AUTRE", _("Autre")

    class FinessKind(models.TextChoices):
        EJ = "EJ", _("Entité juridique")
        ET = "ET", _("Établissement géographique")

    finess = models.CharField(_("FINESS"), max_length=9, unique=True, null=True, blank=True)
    finess_kind = models.CharField(_("type FINESS"), max_length=2, choices=FinessKind.choices, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    name = models.CharField(_("raison sociale"), max_length=255)
    short_name = models.CharField(_("nom court"), max_length=120, blank=True)
    kind = models.CharField(_("type de structure"), max_length=12, choices=Kind.choices, default=Kind.AUTRE)
    category_code = models.CharField(_("catégorie FINESS (code)"), max_length=4, blank=True)
    category_label = models.CharField(_("catégorie FINESS (libellé)"), max_length=120, blank=True)
    legal_entity = models.ForeignKey(
        "self",
        verbose_name=_("entité juridique"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="establishments",
        limit_choices_to={"finess_kind": "EJ"},
    )
    ght = models.ForeignKey(
        "self",
        verbose_name=_("GHT"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ght_members",
        limit_choices_to={"kind": "GHT"},
    )
    address_line = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    commune_insee = models.CharField(_("code commune INSEE"), max_length=5, blank=True)
    departement = models.CharField(_("département"), max_length=3, blank=True, db_index=True)
    latitude = models.DecimalField(_("latitude (WGS84)"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude (WGS84)"), max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    mssante_address = models.EmailField(_("adresse MSSanté"), blank=True)
    college = models.CharField(_("collège d'adhésion"), max_length=1, choices=COLLEGE_CHOICES, blank=True)
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=20, blank=True, help_text=_("finess, annuaire, saisie, demo"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [models.Index(fields=["name"]), models.Index(fields=["kind", "departement"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.finess})" if self.finess else self.name


class Professional(models.Model):
    class Title(models.TextChoices):
        DR = "DR", _("Docteur")
        PR = "PR", _("Professeur")
        M = "M", _("Monsieur")
        MME = "MME", _("Madame")
        NONE = "", _("—")

    idnat_ps = models.CharField(_("identifiant national (idNatPS)"), max_length=12, unique=True)
    rpps = models.CharField(_("RPPS"), max_length=11, unique=True, null=True, blank=True)
    adeli = models.CharField(_("ADELI"), max_length=9, unique=True, null=True, blank=True)
    title = models.CharField(_("civilité d'exercice"), max_length=3, choices=Title.choices, blank=True)
    last_name = models.CharField(_("nom d'exercice"), max_length=120)
    first_name = models.CharField(_("prénom d'exercice"), max_length=120)
    profession_code = models.CharField(_("profession (code TRE_G15)"), max_length=4)
    profession_label = models.CharField(_("profession"), max_length=120)
    category_code = models.CharField(_("catégorie professionnelle"), max_length=2, blank=True)
    mssante_address = models.EmailField(_("adresse MSSanté"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="professional",
    )
    active = models.BooleanField(_("actif"), default=True)
    source = models.CharField(_("source"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("professionnel")
        verbose_name_plural = _("professionnels")
        indexes = [models.Index(fields=["last_name", "first_name"]), models.Index(fields=["profession_code"])]

    def __str__(self) -> str:
        return f"{self.get_title_display() if self.title else ''} {self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        return str(self)


class PracticeSituation(models.Model):
    """A professional practising in an organisation (FHIR PractitionerRole)."""

    class Mode(models.TextChoices):
        LIBERAL = "L", _("Libéral")
        SALARIE = "S", _("Salarié")
        BENEVOLE = "B", _("Bénévole")

    professional = models.ForeignKey(
        Professional, verbose_name=_("professionnel"), on_delete=models.CASCADE, related_name="situations"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("structure"), on_delete=models.PROTECT, related_name="situations"
    )
    external_id = models.CharField(
        _("identifiant de la situation (source)"), max_length=64, blank=True, db_index=True,
        help_text=_("Identifiant technique de la structure dans l'extraction d'origine."),
    )
    mode = models.CharField(_("mode d'exercice"), max_length=1, choices=Mode.choices, blank=True)
    role_code = models.CharField(_("fonction (code)"), max_length=8, blank=True)
    role_label = models.CharField(_("fonction"), max_length=120, blank=True)
    specialty_code = models.CharField(_("spécialité (code TRE_R38)"), max_length=10, blank=True)
    specialty_label = models.CharField(_("spécialité"), max_length=120, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    start_date = models.DateField(_("début"), null=True, blank=True)
    end_date = models.DateField(_("fin"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["professional", "organisation"]
        verbose_name = _("situation d'exercice")
        verbose_name_plural = _("situations d'exercice")
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "organisation", "role_code", "specialty_code"],
                name="unique_practice_situation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.professional} — {self.organisation}"


class ImportRun(models.Model):
    """One run of an importer: progress, counts and the rejected lines."""

    class Kind(models.TextChoices):
        ANNUAIRE = "annuaire", _("Annuaire Santé (PS_LibreAcces)")
        FINESS = "finess", _("FINESS (établissements et géolocalisation)")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    file_name = models.CharField(_("fichier"), max_length=255)
    file_sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    stored_path = models.CharField(_("copie conservée"), max_length=500, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total_lines = models.PositiveIntegerField(_("lignes"), default=0)
    processed_lines = models.PositiveIntegerField(_("lignes traitées"), default=0)
    created_count = models.PositiveIntegerField(_("créés"), default=0)
    updated_count = models.PositiveIntegerField(_("mis à jour"), default=0)
    unchanged_count = models.PositiveIntegerField(_("inchangés"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejetés"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("lancé par")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.file_name}"

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_lines / self.total_lines) if self.total_lines else 0


class ImportRejection(models.Model):
    """A line an importer refused, kept verbatim with its number and reason."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejections")
    line_number = models.PositiveIntegerField(_("ligne"))
    field = models.CharField(_("champ"), max_length=80, blank=True)
    reason = models.TextField(_("motif"))
    raw_line = models.TextField(_("ligne reçue"))

    class Meta:
        ordering = ["run", "line_number"]
        verbose_name = _("ligne rejetée")
        verbose_name_plural = _("lignes rejetées")

    def __str__(self) -> str:
        return f"ligne {self.line_number} : {self.reason}"
