"""Membership: the register of members, general assemblies, dated tariffs,
conventions, service orders, account requests and numbered documents (quotes,
contribution calls, credit notes).

Writes go through ``enrs.membership.services``; reads through ``selectors``.
Organisations come from the directory (``directory.Organisation``); the
membership app never writes them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enrs.core.models import COLLEGE_CHOICES


class Category(models.TextChoices):
    """Member categories of the contribution tables (collège A splits in three)."""

    CHU = "A_CHU", _("A – CHU")
    GHT_SUPPORT = "A_GHT", _("A – Établissement support de GHT (hors CHU)")
    HEALTH_OTHER = "A_OTHER", _("A – Autre établissement de santé (CH, SMR, psychiatrie…)")
    CITY = "B", _("B – Ville")
    MEDICO_SOCIAL = "C", _("C – Établissement social ou médico-social")
    NETWORK = "D", _("D – Réseau de santé ou structure transverse")
    CONSULTATIVE = "E", _("E – Consultatif")
    PARTNER = "F", _("F – Partenaire associé")


def college_of_category(category: str) -> str:
    return category[0]


class GeneralAssembly(models.Model):
    """A general assembly: it votes admissions and withdrawals (2 to 3 a year)."""

    date = models.DateField(_("date"), unique=True)
    title = models.CharField(_("intitulé"), max_length=200)
    agenda = models.TextField(_("ordre du jour"), blank=True)
    decisions = models.TextField(_("décisions"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("assemblée générale")
        verbose_name_plural = _("assemblées générales")

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%d/%m/%Y})"


class Member(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Demande reçue (en attente de l'assemblée générale)")
        MEMBER = "member", _("Adhérent")
        WITHDRAWN = "withdrawn", _("Retiré")
        ABSORBED = "absorbed", _("Absorbé par fusion")
        REFUSED = "refused", _("Demande refusée")

    ACTIVE_STATUSES = (Status.PENDING, Status.MEMBER)

    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("structure"), on_delete=models.PROTECT, related_name="memberships"
    )
    name = models.CharField(_("dénomination"), max_length=255)
    college = models.CharField(_("collège"), max_length=1, choices=COLLEGE_CHOICES)
    category = models.CharField(_("catégorie"), max_length=8, choices=Category.choices)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    applied_on = models.DateField(_("demande reçue le"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("demande faite par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    admitted_on = models.DateField(_("admis le"), null=True, blank=True)
    admission_assembly = models.ForeignKey(
        GeneralAssembly, verbose_name=_("admis par l'assemblée"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="admissions",
    )
    left_on = models.DateField(_("sorti le"), null=True, blank=True)
    exit_assembly = models.ForeignKey(
        GeneralAssembly, verbose_name=_("sortie votée par l'assemblée"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="exits",
    )
    absorbed_by = models.ForeignKey(
        "self", verbose_name=_("absorbé par"), on_delete=models.PROTECT, null=True, blank=True, related_name="absorbed"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["college", "name"]
        verbose_name = _("adhérent")
        verbose_name_plural = _("adhérents")
        constraints = [
            # One live membership (pending or member) per organisation; history rows may repeat.
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(status__in=["pending", "member"]), name="membership_one_live_per_org"
            ),
        ]
        indexes = [models.Index(fields=["college", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.college})"

    @property
    def is_live(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class AppendOnly(models.Model):
    """History rows: written once, never changed."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("history rows are append-only")
        super().save(*args, **kwargs)


class Movement(AppendOnly):
    """One line of a member's history (the report's « adhésions, retraits et mouvements »)."""

    class Kind(models.TextChoices):
        APPLICATION = "application", _("Demande d'adhésion")
        ADMISSION = "admission", _("Admission")
        REFUSAL = "refusal", _("Refus")
        WITHDRAWAL = "withdrawal", _("Retrait")
        MERGER = "merger", _("Fusion-absorption")
        RENAMING = "renaming", _("Changement de dénomination")
        CATEGORY = "category", _("Changement de catégorie")

    member = models.ForeignKey(Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("mouvement"), max_length=12, choices=Kind.choices)
    date = models.DateField(_("date"))
    assembly = models.ForeignKey(
        GeneralAssembly, verbose_name=_("assemblée"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="movements",
    )
    old_value = models.CharField(_("ancienne valeur"), max_length=255, blank=True)
    new_value = models.CharField(_("nouvelle valeur"), max_length=255, blank=True)
    other_member = models.ForeignKey(
        Member, verbose_name=_("autre adhérent"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("observation"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saisi par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("mouvement")
        verbose_name_plural = _("mouvements")
        indexes = [models.Index(fields=["kind", "date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.member} ({self.date:%d/%m/%Y})"


# --- Tariffs ---------------------------------------------------------------------------------
class TariffKind(models.TextChoices):
    CAPITAL = "capital", _("Apport en capital (par collège)")
    ANNUAL = "annual", _("Contribution annuelle (par catégorie)")
    PACK = "pack", _("Pack complémentaire (mensuel)")
    IMAGING = "imaging", _("Option partage et échange d'imagerie (mensuel)")
    EDITING_FIRST = "editing_first", _("Option editing : première page")
    EDITING_EXTRA = "editing_extra", _("Option editing : page supplémentaire")
    CONSULTING = "consulting", _("Conseil et expertise")
    EMAGE_SETUP = "emage_setup", _("e-m@ge : mise en œuvre")
    EMAGE_YEARLY = "emage_yearly", _("e-m@ge : accès annuel")
    DPM = "dpm", _("DPM (mensuel)")


class Unit(models.TextChoices):
    ONCE = "once", _("par adhérent, une fois")
    YEAR = "year", _("par an")
    MONTH = "month", _("par mois")
    ESTABLISHMENT_MONTH = "ets_month", _("par établissement et par mois")
    USER_MONTH = "user_month", _("par utilisateur et par mois")
    STRUCTURE_MONTH = "struct_month", _("par structure et par mois")
    PAGE = "page", _("par page")
    DAY = "day", _("par jour (7 h)")
    HOUR = "hour", _("par heure")
    SESSION = "session", _("par session")


class Tariff(models.Model):
    """One amount in force over a period. Periods of the same key (kind, category, unit) never overlap."""

    kind = models.CharField(_("nature"), max_length=16, choices=TariffKind.choices)
    category = models.CharField(
        _("catégorie"), max_length=20, blank=True,
        help_text=_("Collège (apport en capital), catégorie d'adhérent, ou prestation de conseil."),
    )
    unit = models.CharField(_("unité"), max_length=12, choices=Unit.choices)
    label = models.CharField(_("libellé"), max_length=200)
    amount = models.DecimalField(_("montant HT (€)"), max_digits=12, decimal_places=2)
    amount_max = models.DecimalField(
        _("montant maximum HT (€)"), max_digits=12, decimal_places=2, null=True, blank=True,
        help_text=_("Pour les tarifs donnés en fourchette (« entre 715 € et 815 € »)."),
    )
    max_quantity = models.PositiveSmallIntegerField(
        _("quantité maximale facturée"), null=True, blank=True, help_text=_("Plafond, par exemple 4 pages supplémentaires.")
    )
    vat_rate = models.DecimalField(_("taux de TVA (%)"), max_digits=5, decimal_places=2, default=Decimal("0.00"))
    effective_from = models.DateField(_("en vigueur du"))
    effective_until = models.DateField(_("jusqu'au (inclus)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "category", "unit", "effective_from"]
        verbose_name = _("tarif")
        verbose_name_plural = _("tarifs")
        constraints = [
            models.UniqueConstraint(fields=["kind", "category", "unit", "effective_from"], name="membership_tariff_start"),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True) | Q(effective_until__gte=models.F("effective_from")),
                name="membership_tariff_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} : {self.amount} € {self.get_unit_display()}"


# --- Conventions, orders, account requests -----------------------------------------------------
class Convention(models.Model):
    class Model(models.TextChoices):
        EMPLOYEES = "employees", _("Structure déployant les services pour ses salariés")
        LIBERAL = "liberal", _("Structure fédérant des professionnels libéraux autour d'un projet de soins")

    member = models.ForeignKey(Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="conventions")
    model = models.CharField(_("modèle de convention"), max_length=10, choices=Model.choices)
    signed_on = models.DateField(_("signée le"))
    signatory = models.CharField(_("signataire"), max_length=200)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("enregistrée par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    nomination_form = models.BooleanField(_("fiche de nomination des référents fournie"), default=False)
    referent_charter = models.BooleanField(_("charte des référents signée"), default=False)
    liberal_roster = models.BooleanField(_("fichier des professionnels libéraux fourni"), default=False)
    ended_on = models.DateField(_("résiliée le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_on"]
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=Q(ended_on__isnull=True), name="membership_one_live_convention"),
        ]

    def __str__(self) -> str:
        return f"{self.get_model_display()} — {self.member}"


class Product(models.TextChoices):
    """What a quote or an order is about (the priced offers of the catalogue)."""

    PACK = "pack", _("Pack complémentaire")
    IMAGING = "imaging", _("Option partage et échange d'imagerie")
    EDITING = "editing", _("Option editing (envoi postal)")
    EMAGE = "emage", _("e-m@ge (transfert d'imagerie DICOM)")
    DPM = "dpm", _("DPM (Data Privacy Manager)")
    CONSULTING = "consulting", _("Conseil et expertise")
    CAPITAL = "capital", _("Apport en capital")
    ANNUAL = "annual", _("Contribution annuelle")


class ServiceOrder(models.Model):
    member = models.ForeignKey(Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="orders")
    product = models.CharField(_("offre"), max_length=12, choices=Product.choices)
    quote = models.ForeignKey(
        "Document", verbose_name=_("devis"), on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    ordered_on = models.DateField(_("commandé le"))
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("commandé par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    ended_on = models.DateField(_("terminé le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ordered_on", "-pk"]
        verbose_name = _("commande de service")
        verbose_name_plural = _("commandes de services")

    def __str__(self) -> str:
        return f"{self.get_product_display()} — {self.member}"


class AccountRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("À traiter")
        APPROVED = "approved", _("Acceptée")
        REFUSED = "refused", _("Refusée")

    member = models.ForeignKey(Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="account_requests")
    first_name = models.CharField(_("prénom"), max_length=120)
    last_name = models.CharField(_("nom"), max_length=120)
    email = models.EmailField(_("adresse e-mail"))
    profession = models.CharField(_("profession ou fonction"), max_length=120)
    rpps = models.CharField(_("numéro RPPS"), max_length=11, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("demandée par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("traitée par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    reason = models.TextField(_("motif"), blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("compte ouvert"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("demande d'ouverture de compte")
        verbose_name_plural = _("demandes d'ouverture de compte")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} — {self.member}"


# --- Documents: quotes, contribution calls, credit notes ---------------------------------------
class DocumentIsIssued(Exception):
    """Raised when code tries to change or delete an issued document or its lines."""


class DocumentKind(models.TextChoices):
    QUOTE = "quote", _("Devis")
    CALL = "call", _("Appel de contribution")
    CREDIT = "credit", _("Avoir")


NUMBER_PREFIXES = {DocumentKind.QUOTE: "DEV", DocumentKind.CALL: "APC", DocumentKind.CREDIT: "AV"}


class DocumentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(status="issued").exists():
            raise DocumentIsIssued(_("Un document émis ne peut plus être modifié : établissez un avoir."))
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status="issued").exists():
            raise DocumentIsIssued(_("Un document émis ne peut pas être supprimé : établissez un avoir."))
        return super().delete()


class Document(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        ISSUED = "issued", _("Émis")

    kind = models.CharField(_("type"), max_length=8, choices=DocumentKind.choices)
    member = models.ForeignKey(Member, verbose_name=_("adhérent"), on_delete=models.PROTECT, related_name="documents")
    status = models.CharField(_("statut"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("objet"), max_length=200)
    # Snapshot of who the document is addressed to, frozen at issue.
    addressee = models.CharField(_("destinataire"), max_length=255, blank=True)
    year = models.PositiveSmallIntegerField(_("année de numérotation"), null=True, blank=True)
    period_year = models.PositiveSmallIntegerField(_("exercice appelé"), null=True, blank=True)
    sequence = models.PositiveIntegerField(_("rang"), null=True, blank=True)
    number = models.CharField(_("numéro"), max_length=20, unique=True, null=True, blank=True)
    issued_on = models.DateField(_("émis le"), null=True, blank=True)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    total_ht = models.DecimalField(_("total HT"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total_vat = models.DecimalField(_("total TVA"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total_ttc = models.DecimalField(_("total TTC"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    corrects = models.ForeignKey(
        "self", verbose_name=_("document corrigé"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="credit_notes",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("demandé par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "sequence"], name="membership_document_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or _('(brouillon)')}"

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED

    def _stored_status(self) -> str | None:
        if self.pk is None:
            return None
        return type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()

    def save(self, *args, **kwargs):
        # The stored row decides, not the in-memory one: an issued document is frozen.
        if self._stored_status() == self.Status.ISSUED:
            raise DocumentIsIssued(_("Un document émis ne peut plus être modifié : établissez un avoir."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() == self.Status.ISSUED:
            raise DocumentIsIssued(_("Un document émis ne peut pas être supprimé : établissez un avoir."))
        return super().delete(*args, **kwargs)


class DocumentLineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(document__status=Document.Status.ISSUED).exists():
            raise DocumentIsIssued(_("Les lignes d'un document émis ne peuvent plus être modifiées."))
        return super().update(**kwargs)

    def delete(self):
        if self.filter(document__status=Document.Status.ISSUED).exists():
            raise DocumentIsIssued(_("Les lignes d'un document émis ne peuvent pas être supprimées."))
        return super().delete()




class DocumentLine(models.Model):
    document = models.ForeignKey(Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField(_("rang"))
    product = models.CharField(_("offre"), max_length=12, choices=Product.choices, blank=True)
    description = models.CharField(_("désignation"), max_length=255)
    quantity = models.DecimalField(_("quantité"), max_digits=12, decimal_places=2)
    unit = models.CharField(_("unité"), max_length=60, blank=True)
    unit_price = models.DecimalField(_("prix unitaire HT"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("taux de TVA (%)"), max_digits=5, decimal_places=2)
    amount_ht = models.DecimalField(_("montant HT"), max_digits=14, decimal_places=2)
    amount_vat = models.DecimalField(_("TVA"), max_digits=14, decimal_places=2)
    amount_ttc = models.DecimalField(_("montant TTC"), max_digits=14, decimal_places=2)

    objects = DocumentLineQuerySet.as_manager()

    class Meta:
        ordering = ["document", "position"]
        verbose_name = _("ligne de document")
        verbose_name_plural = _("lignes de document")
        constraints = [models.UniqueConstraint(fields=["document", "position"], name="membership_line_position")]

    def __str__(self) -> str:
        return self.description

    def _document_issued(self) -> bool:
        return Document.objects.filter(pk=self.document_id, status=Document.Status.ISSUED).exists()

    def save(self, *args, **kwargs):
        if self._document_issued():
            raise DocumentIsIssued(_("Les lignes d'un document émis ne peuvent plus être modifiées."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._document_issued():
            raise DocumentIsIssued(_("Les lignes d'un document émis ne peuvent pas être supprimées."))
        return super().delete(*args, **kwargs)


class DocumentCounter(models.Model):
    """Last number given per document kind and year; the row is locked while numbering."""

    kind = models.CharField(max_length=8, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="membership_counter_kind_year")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"
