"""The care-offer directory (ROR exposition model 3.0) and its search index.

Business concepts and their ROR FHIR profiles (shared/reference/fr-interop.md §4):

- establishment (EJ/EG): ``directory.Organisation`` (read only here);
- internal organisation (OI, ``ror-organization``): :class:`Unit`;
- place where the offer is delivered, with its capacity (``ror-location``):
  :class:`Place` and :class:`Capacity`;
- operational offer (``ror-healthcareservice``): :class:`Offer`, with its
  opening hours, closures, contacts and telehealth offers.

Every coded attribute points to a :class:`Concept` of a loaded
:class:`CodeSystem` (ANS nomenclatures as data), so an unknown code cannot be
stored. Writes go through ``enrs.offer.services``; reads through ``selectors``.

Search columns: a place's coordinates are copied onto each offer with their
unit vector (``ux, uy, uz``) so that "within R km" is the exact great-circle
test ``u·u0 >= cos(R / earth radius)`` in plain SQL arithmetic, identical on
SQLite and PostgreSQL; :class:`OfferTerm` holds the folded, stemmed words.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CodeSystem(models.Model):
    """One ANS terminology (TRE) as loaded from a file, with its version."""

    key = models.CharField(_("clé"), max_length=40, unique=True, help_text=_("Par exemple TRE_R211."))
    name = models.CharField(_("nom"), max_length=120)
    url = models.CharField(_("URL canonique (system FHIR)"), max_length=255, unique=True)
    oid = models.CharField(_("OID"), max_length=64, blank=True)
    value_set = models.CharField(_("jeu de valeurs ROR"), max_length=255, blank=True)
    version = models.CharField(_("version"), max_length=40)
    subset = models.BooleanField(_("sous-ensemble"), default=True)
    confirmed = models.BooleanField(
        _("codes confirmés"), default=True, help_text=_("Faux si les codes livrés sont provisoires (à remplacer par le fichier ANS).")
    )
    source = models.CharField(_("fichier source"), max_length=255, blank=True)
    loaded_at = models.DateTimeField(_("chargée le"), auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("nomenclature")
        verbose_name_plural = _("nomenclatures")

    def __str__(self) -> str:
        return f"{self.key} ({self.version})"


class Concept(models.Model):
    system = models.ForeignKey(CodeSystem, on_delete=models.CASCADE, related_name="concepts", verbose_name=_("nomenclature"))
    code = models.CharField(_("code"), max_length=20)
    label = models.CharField(_("libellé"), max_length=255)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        ordering = ["system", "code"]
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="offer_unique_concept")]

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"


class Commune(models.Model):
    """A commune's reference point, to search "around a commune"."""

    insee = models.CharField(_("code commune INSEE"), max_length=5, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    folded_name = models.CharField(_("nom normalisé"), max_length=120, db_index=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    latitude = models.FloatField(_("latitude (WGS84)"))
    longitude = models.FloatField(_("longitude (WGS84)"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return f"{self.name} ({self.insee})"


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Unit(Timestamped):
    """Internal organisation (OI) of an establishment: a department, a unit, a team."""

    identifier = models.CharField(_("identifiant OI"), max_length=64, unique=True)
    establishment = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="offer_units", verbose_name=_("établissement")
    )
    name = models.CharField(_("nom"), max_length=255)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation interne")
        verbose_name_plural = _("organisations internes")

    def __str__(self) -> str:
        return self.name


class Place(Timestamped):
    """Lieu de réalisation de l'offre (ror-location): where beds and places are."""

    identifier = models.CharField(_("identifiant du lieu"), max_length=64, unique=True)
    establishment = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="offer_places", verbose_name=_("établissement")
    )
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="places", verbose_name=_("organisation interne"))
    name = models.CharField(_("nom"), max_length=255)
    function = models.ForeignKey(
        Concept, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("fonction du lieu (TRE_R343)")
    )
    address_line = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    commune_insee = models.CharField(_("code commune INSEE"), max_length=5, blank=True)
    departement = models.CharField(_("département"), max_length=3, blank=True, db_index=True)
    latitude = models.FloatField(_("latitude (WGS84)"), null=True, blank=True)
    longitude = models.FloatField(_("longitude (WGS84)"), null=True, blank=True)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("lieu de réalisation")
        verbose_name_plural = _("lieux de réalisation")

    def __str__(self) -> str:
        return self.name


class Offer(Timestamped):
    """Offre opérationnelle (ror-healthcareservice)."""

    identifier = models.CharField(_("identifiant de l'offre"), max_length=64, unique=True)
    name = models.CharField(_("nom de l'offre"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    establishment = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="offers", verbose_name=_("établissement")
    )
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="offers", verbose_name=_("organisation interne"))
    place = models.ForeignKey(Place, on_delete=models.SET_NULL, null=True, blank=True, related_name="offers", verbose_name=_("lieu"))
    activity_field = models.ForeignKey(
        Concept, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("champ d'activité (TRE_R227)")
    )
    activity = models.ForeignKey(Concept, on_delete=models.PROTECT, related_name="+", verbose_name=_("activité opérationnelle (TRE_R211)"))
    care_mode = models.ForeignKey(Concept, on_delete=models.PROTECT, related_name="+", verbose_name=_("mode de prise en charge (TRE_R213)"))
    expertise_level = models.ForeignKey(
        Concept, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("niveau d'expertise (TRE_R344)")
    )
    publics = models.ManyToManyField(Concept, related_name="+", blank=True, verbose_name=_("public pris en charge (TRE_R239)"))
    acts = models.ManyToManyField(Concept, related_name="+", blank=True, verbose_name=_("actes spécifiques (TRE_R210)"))
    competences = models.ManyToManyField(Concept, related_name="+", blank=True, verbose_name=_("compétences spécifiques"))
    specialisations = models.ManyToManyField(Concept, related_name="+", blank=True, verbose_name=_("spécialisations de prise en charge"))
    equipment = models.ManyToManyField(Concept, related_name="+", blank=True, verbose_name=_("équipements spécifiques (TRE_R212)"))
    sensitive_unit = models.BooleanField(_("unité sensible"), default=False)
    active = models.BooleanField(_("active"), default=True)
    # Search columns copied from the place (see the module docstring).
    departement = models.CharField(_("département"), max_length=3, blank=True, db_index=True)
    commune_insee = models.CharField(_("code commune INSEE"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    ux = models.FloatField(null=True, blank=True)
    uy = models.FloatField(null=True, blank=True)
    uz = models.FloatField(null=True, blank=True)
    search_text = models.TextField(_("mots indexés"), blank=True)
    fingerprint = models.CharField(_("empreinte du contenu"), max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("offre opérationnelle")
        verbose_name_plural = _("offres opérationnelles")
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="offer_lat_lon"),
            # Multi-criteria + radius: the box's latitude range is sought inside (activity, care
            # mode) and the longitude checked in the index, so only offers in the box are read.
            models.Index(fields=["activity", "care_mode", "latitude", "longitude"], name="offer_activity_mode_geo"),
            models.Index(fields=["name"], name="offer_name"),
        ]

    def __str__(self) -> str:
        return self.name


class OfferTerm(models.Model):
    """One folded, stemmed word of an offer (the full-text index, same on both databases)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=40)

    class Meta:
        indexes = [models.Index(fields=["term", "offer"], name="offer_term_lookup")]
        constraints = [models.UniqueConstraint(fields=["offer", "term"], name="offer_unique_term")]


WEEKDAY_LABELS = {1: _("lundi"), 2: _("mardi"), 3: _("mercredi"), 4: _("jeudi"), 5: _("vendredi"), 6: _("samedi"), 7: _("dimanche")}


class OpeningHours(models.Model):
    """Horaires: a weekly slot (ISO weekday 1 = Monday)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("jour (1 = lundi)"))
    opens = models.TimeField(_("ouverture"))
    closes = models.TimeField(_("fermeture"))

    class Meta:
        ordering = ["offer", "weekday", "opens"]
        verbose_name = _("horaire")
        verbose_name_plural = _("horaires")
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__gte=1, weekday__lte=7), name="offer_weekday_range"),
            models.CheckConstraint(condition=models.Q(opens__lt=models.F("closes")), name="offer_opens_before_closes"),
        ]

    @property
    def weekday_label(self) -> str:
        return str(WEEKDAY_LABELS.get(self.weekday, ""))


class Closure(models.Model):
    """Fermeture: closing date, planned reopening, type of closure."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="closures")
    kind = models.ForeignKey(Concept, on_delete=models.PROTECT, related_name="+", verbose_name=_("type de fermeture"))
    start = models.DateField(_("fermée à partir du"))
    planned_reopening = models.DateField(_("réouverture prévue"), null=True, blank=True)

    class Meta:
        ordering = ["offer", "start"]
        verbose_name = _("fermeture")
        verbose_name_plural = _("fermetures")


class Contact(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="contacts")
    purpose = models.ForeignKey(Concept, on_delete=models.PROTECT, related_name="+", verbose_name=_("nature du contact (TRE_R287)"))
    name = models.CharField(_("nom"), max_length=120, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        ordering = ["offer", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")


class TelehealthOffer(Timestamped):
    """A telehealth service of an offer, given by its unit or by a named professional."""

    class Kind(models.TextChoices):
        EXPERTISE = "teleexpertise", _("Télé-expertise")
        CONSULTATION = "teleconsultation", _("Téléconsultation")
        TELECARE = "telesoin", _("Télésoin")

    class Channel(models.TextChoices):
        PLATFORM = "plateforme", _("Plateforme régionale de télémédecine")
        MSSANTE = "mssante", _("Messagerie sécurisée (MSSanté)")
        PHONE = "telephone", _("Téléphone")
        WEB = "web", _("Formulaire en ligne")

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="telehealth", verbose_name=_("offre"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    professional = models.ForeignKey(
        "directory.Professional", on_delete=models.SET_NULL, null=True, blank=True, related_name="offer_telehealth",
        verbose_name=_("professionnel requis"),
    )
    channel = models.CharField(_("comment la demander"), max_length=12, choices=Channel.choices)
    address = models.CharField(_("adresse, numéro ou lien"), max_length=255)
    instructions = models.TextField(_("modalités de demande"), blank=True)
    response_hours = models.PositiveIntegerField(_("délai de réponse (heures)"), null=True, blank=True)

    class Meta:
        ordering = ["offer", "kind"]
        verbose_name = _("offre de télésanté")
        verbose_name_plural = _("offres de télésanté")
        constraints = [models.UniqueConstraint(fields=["offer", "kind"], name="offer_unique_telehealth_kind")]
        indexes = [models.Index(fields=["kind", "offer"], name="offer_telehealth_kind")]


class Capacity(models.Model):
    """One capacity figure of a place (ror-location-supported-capacity)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="capacities", verbose_name=_("lieu"))
    capacity_type = models.ForeignKey(Concept, on_delete=models.PROTECT, related_name="+", verbose_name=_("nature (TRE_R329)"))
    status = models.ForeignKey(Concept, on_delete=models.PROTECT, related_name="+", verbose_name=_("statut (TRE_R330)"))
    temporality = models.ForeignKey(Concept, on_delete=models.PROTECT, related_name="+", verbose_name=_("temporalité"))
    count = models.PositiveIntegerField(_("nombre"))
    source_type = models.ForeignKey(Concept, on_delete=models.PROTECT, related_name="+", verbose_name=_("source"))
    temporary_assignment = models.ForeignKey(
        Concept, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("affectation temporaire")
    )
    gender = models.ForeignKey(Concept, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("genre (TRE_R332)"))
    crisis_type = models.ForeignKey(Concept, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("type de crise"))
    updated_at = models.DateTimeField(_("date de mise à jour de la capacité"))
    received_at = models.DateTimeField(_("reçue le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("mise à jour par")
    )
    channel = models.CharField(_("canal"), max_length=20, blank=True, help_text=_("formulaire, api, import, demo"))
    departement = models.CharField(_("département"), max_length=3, blank=True, db_index=True)

    class Meta:
        ordering = ["place", "capacity_type", "status"]
        verbose_name = _("capacité")
        verbose_name_plural = _("capacités")
        constraints = [
            models.UniqueConstraint(fields=["place", "capacity_type", "status", "temporality"], name="offer_unique_capacity"),
        ]
