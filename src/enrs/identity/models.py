"""Patient identities: the regional identity server and identity vigilance.

``Patient`` is the regional identity of one person: the RNIV strict traits, the
complementary traits, the INS matricule with its OID, the RNIV status and the
evidence behind it. The foundation columns (residence, contact, account link)
are kept for the demo, access and portal apps.

Around it: local identifiers of each establishment (``LocalIdentifier``), the
full history of every change (``IdentityHistory``), the blocking keys of the
real-time matching (``IdentityMatchKey``), and the identity-vigilance
worklists (``PotentialDuplicate``, ``IdentityCollision``, ``IdentityAnomaly``)
with merges that can be undone (``IdentityMerge``).

Writes go through ``enrs.identity.services`` only (the rules live there).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# INS OIDs (fr-interop §1.3): NIR, NIA, and the test/demo NIR slices of FR Core.
OID_NIR = "1.2.250.1.213.1.4.8"
OID_NIA = "1.2.250.1.213.1.4.9"
OID_NIR_TEST = "1.2.250.1.213.1.4.10"
OID_NIR_DEMO = "1.2.250.1.213.1.4.11"


class IdentityStatus(models.TextChoices):
    """RNIV trust statuses (EXI SI 07): INSi retrieval × high-trust document check."""

    PROV = "PROV", _("Identité provisoire")
    RECUP = "RECUP", _("Identité récupérée")
    VALI = "VALI", _("Identité validée")
    QUAL = "QUAL", _("Identité qualifiée")


class CollectionMethod(models.TextChoices):
    """FR Core ``methodCollection``."""

    SM = "SM", _("Saisie manuelle")
    CV = "CV", _("Carte Vitale")
    INSI = "INSI", _("Téléservice INSi")
    CB = "CB", _("Datamatrix")
    RFID = "RFID", _("RFID")
    AV = "AV", _("Appli carte Vitale")


class DocumentType(models.TextChoices):
    """FR Core ``validationMode``: the identity document checked."""

    CN = "CN", _("Carte nationale d'identité")
    ECN = "eCN", _("Carte nationale d'identité électronique")
    PA = "PA", _("Passeport")
    CS = "CS", _("Titre de séjour")
    IN = "IN", _("Carte d'identité (autre pays)")
    AV = "AV", _("Appli carte Vitale")
    LECV = "LECV", _("Livret de famille et carte Vitale avec photo")
    AN = "AN", _("Extrait d'acte de naissance")
    LEP = "LEP", _("Livret de famille et pièce d'un parent")
    CC = "CC", _("Carte consulaire")
    ANCV = "ANCV", _("Acte de naissance et carte Vitale avec photo")


class CommentCode(models.TextChoices):
    """FR Core ``identity-status-comment`` codes (the ones the screens name; others are kept as given)."""

    DOUT = "DOUT", _("Identité douteuse")
    FICT = "FICT", _("Identité fictive")
    HOMD = "HOMD", _("Homonyme détecté")
    HOMA = "HOMA", _("Homonyme avéré")
    DOUB = "DOUB", _("Doublon")
    COLP = "COLP", _("Collision potentielle")
    COLV = "COLV", _("Collision avérée")
    USUR = "USUR", _("Usurpation")
    ANOM = "ANOM", _("Anomalie")
    CACH = "CACH", _("Identité cachée")
    DESA = "DESA", _("Identité désactivée")
    DPOT = "DPOT", _("Doublon potentiel")
    DOUA = "DOUA", _("Doublon avéré")
    FILI = "FILI", _("Filiation")
    IDVER = "IDVER", _("Identité vérifiée")
    RECD = "RECD", _("Reprise de données")
    IDRA = "IDRA", _("Identité rapprochée")
    INVA = "INVA", _("Invalide")
    VIDE = "VIDE", _("Sans commentaire")


class PatientQuerySet(models.QuerySet):
    def active(self):
        """Identities that were not merged into another one."""
        return self.filter(merged_into__isnull=True)


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Féminin")
        MALE = "M", _("Masculin")
        UNKNOWN = "I", _("Indéterminé")

    Status = IdentityStatus

    # --- Strict traits (RNIV) ---------------------------------------------------------------
    birth_name = models.CharField(_("nom de naissance"), max_length=120)
    birth_first_names = models.CharField(
        _("prénoms de naissance"), max_length=255, help_text=_("Séparés par des espaces, dans l'ordre de l'état civil.")
    )
    birth_date = models.DateField(
        _("date de naissance"),
        help_text=_("Pour une date partiellement inconnue, date de substitution selon la règle configurée."),
    )
    birth_date_text = models.CharField(
        _("date de naissance déclarée"), max_length=10, blank=True,
        help_text=_("AAAA-MM-JJ, 00 pour un mois ou un jour inconnu ; vide quand la date est complète."),
    )
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    birth_place_insee = models.CharField(_("lieu de naissance (code INSEE)"), max_length=5, blank=True)
    # --- Complementary traits -------------------------------------------------------------
    used_name = models.CharField(_("nom utilisé"), max_length=120, blank=True)
    used_first_name = models.CharField(_("prénom utilisé"), max_length=120, blank=True)
    # --- INS and RNIV status -------------------------------------------------------------
    ins_matricule = models.CharField(_("matricule INS"), max_length=15, blank=True, db_index=True)
    ins_oid = models.CharField(_("OID du matricule INS"), max_length=40, blank=True)
    identity_status = models.CharField(
        _("statut de l'identité"), max_length=5, choices=IdentityStatus.choices, default=IdentityStatus.PROV
    )
    collection_method = models.CharField(
        _("mode de recueil"), max_length=4, choices=CollectionMethod.choices, blank=True
    )
    document_type = models.CharField(_("pièce d'identité contrôlée"), max_length=4, choices=DocumentType.choices, blank=True)
    document_high_trust = models.BooleanField(_("pièce à haut niveau de confiance"), default=False)
    document_checked_on = models.DateField(_("date du contrôle de la pièce"), null=True, blank=True)
    insi_called_at = models.DateTimeField(_("date d'appel INSi"), null=True, blank=True)
    insi_result = models.CharField(_("réponse INSi"), max_length=2, blank=True)
    insi_verified = models.BooleanField(_("identité récupérée par INSi"), default=False)
    comment_codes = models.JSONField(_("commentaires de fiabilité"), default=list, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("fusionnée dans"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # --- Foundation columns (demo, portal, access) ----------------------------------------
    commune_insee = models.CharField(_("commune de résidence (code INSEE)"), max_length=5, blank=True)
    city = models.CharField(_("commune de résidence"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte patient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient",
    )
    source = models.CharField(_("source"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["birth_name", "birth_first_names"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        indexes = [models.Index(fields=["birth_name", "birth_date"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def first_names(self) -> list[str]:
        return self.birth_first_names.split()

    @property
    def first_name(self) -> str:
        return self.used_first_name or (self.first_names[0] if self.first_names else "")

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.used_name or self.birth_name}"

    @property
    def birth_date_display(self) -> str:
        """The declared birth date as AAAA-MM-JJ (with 00 for an unknown part)."""
        return self.birth_date_text or (self.birth_date.isoformat() if self.birth_date else "")

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def shared_ins(self) -> str:
        """The INS matricule that may leave the server: only for a qualified identity (RNIV)."""
        return self.ins_matricule if self.identity_status == IdentityStatus.QUAL else ""


class LocalIdentifier(models.Model):
    """A local patient identifier (IPP) of an establishment, linked to the regional identity."""

    patient = models.ForeignKey(Patient, verbose_name=_("identité"), on_delete=models.CASCADE, related_name="local_ids")
    authority = models.CharField(_("autorité d'affectation"), max_length=64)
    value = models.CharField(_("identifiant local"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identifiant local")
        verbose_name_plural = _("identifiants locaux")
        constraints = [models.UniqueConstraint(fields=["authority", "value"], name="identity_local_id_unique")]
        indexes = [models.Index(fields=["patient"], name="identity_localid_patient")]

    def __str__(self) -> str:
        return f"{self.value}^^^{self.authority}"


class IdentityHistory(models.Model):
    """One change of an identity: who, when, through which channel, what (old → new) and why."""

    class Action(models.TextChoices):
        CREATE = "create", _("Création")
        UPDATE = "update", _("Modification")
        STATUS = "status", _("Changement de statut")
        INSI = "insi", _("Appel INSi")
        LINK = "link", _("Rattachement d'un identifiant local")
        LOCAL_ID = "local_id", _("Changement d'identifiant local")
        MERGE = "merge", _("Fusion")
        UNMERGE = "unmerge", _("Annulation de fusion")
        COLLISION = "collision", _("Collision")
        DUPLICATE = "duplicate", _("Doublon potentiel")
        ANOMALY = "anomaly", _("Anomalie")

    patient = models.ForeignKey(Patient, verbose_name=_("identité"), on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("auteur"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_display = models.CharField(_("auteur (libellé)"), max_length=255, blank=True)
    channel = models.CharField(_("canal"), max_length=10)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changes = models.JSONField(_("changements"), default=dict, blank=True)
    reason = models.TextField(_("motif"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("historique d'identité")
        verbose_name_plural = _("historiques d'identité")

    def __str__(self) -> str:
        return f"{self.patient_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class IdentityMatchKey(models.Model):
    """A blocking key of the real-time matching (computed by ``enrs.identity.matching``)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="match_keys")
    key = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("clé de rapprochement")
        verbose_name_plural = _("clés de rapprochement")
        # (key, patient): the candidate look-up (key IN … GROUP BY patient) reads the index only.
        indexes = [
            models.Index(fields=["key", "patient"], name="identity_matchkey_key_patient"),
            models.Index(fields=["patient"], name="identity_matchkey_patient"),
        ]


class WorkItemStatus(models.TextChoices):
    OPEN = "open", _("À traiter")
    RESOLVED = "resolved", _("Traité")
    DISMISSED = "dismissed", _("Écarté")


class PotentialDuplicate(models.Model):
    """Two identities that may be the same person (``patient_a.pk < patient_b.pk``)."""

    patient_a = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+", verbose_name=_("identité A"))
    patient_b = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+", verbose_name=_("identité B"))
    score = models.FloatField(_("score"))
    source = models.CharField(_("origine"), max_length=20, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=WorkItemStatus.choices, default=WorkItemStatus.OPEN)
    detected_at = models.DateTimeField(_("détecté le"), auto_now_add=True)
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("par")
    )
    decision_reason = models.TextField(_("motif de la décision"), blank=True)

    class Meta:
        ordering = ["-score", "pk"]
        verbose_name = _("doublon potentiel")
        verbose_name_plural = _("doublons potentiels")
        constraints = [models.UniqueConstraint(fields=["patient_a", "patient_b"], name="identity_duplicate_pair_unique")]
        indexes = [models.Index(fields=["status", "-score"], name="identity_dup_status_score")]

    def __str__(self) -> str:
        return f"{self.patient_a_id} ~ {self.patient_b_id} ({self.score:.2f})"


class IdentityCollision(models.Model):
    """Two people behind one identity, flagged by an officer or by a feed."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+", verbose_name=_("identité"))
    description = models.TextField(_("description"))
    source = models.CharField(_("origine"), max_length=64, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("signalé par"),
    )
    channel = models.CharField(_("canal"), max_length=10)
    status = models.CharField(_("état"), max_length=10, choices=WorkItemStatus.choices, default=WorkItemStatus.OPEN)
    reported_at = models.DateTimeField(_("signalé le"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("traité par"),
    )
    resolution = models.TextField(_("résolution"), blank=True)

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("collision")
        verbose_name_plural = _("collisions")


class IdentityAnomaly(models.Model):
    """An inconsistency found on an identity (e.g. the NIR does not match the traits)."""

    class Code(models.TextChoices):
        NIR_SEX = "nir_sex", _("Le sexe ne correspond pas au matricule INS")
        NIR_YEAR = "nir_year", _("L'année de naissance ne correspond pas au matricule INS")
        NIR_MONTH = "nir_month", _("Le mois de naissance ne correspond pas au matricule INS")
        NIR_PLACE = "nir_place", _("Le lieu de naissance ne correspond pas au matricule INS")
        INSI = "insi", _("Réponse INSi à examiner")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+", verbose_name=_("identité"))
    code = models.CharField(_("type"), max_length=12, choices=Code.choices)
    detail = models.TextField(_("détail"), blank=True)
    status = models.CharField(_("état"), max_length=10, choices=WorkItemStatus.choices, default=WorkItemStatus.OPEN)
    detected_at = models.DateTimeField(_("détectée le"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("traitée par"),
    )
    resolution = models.TextField(_("résolution"), blank=True)

    class Meta:
        ordering = ["-detected_at", "-pk"]
        verbose_name = _("anomalie d'identité")
        verbose_name_plural = _("anomalies d'identité")


class IdentityMerge(models.Model):
    """A merge of ``merged`` into ``survivor``, with everything that moved so it can be undone."""

    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+", verbose_name=_("identité conservée"))
    merged = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+", verbose_name=_("identité fusionnée"))
    at = models.DateTimeField(_("fusionnée le"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("par")
    )
    channel = models.CharField(_("canal"), max_length=10)
    reason = models.TextField(_("motif"))
    # [{"model": "app.Model", "field": "patient", "pks": [...]}, ...] and the account link, if moved.
    moved = models.JSONField(_("objets déplacés"), default=list)
    kept = models.JSONField(_("objets laissés (conflit d'unicité)"), default=list)
    moved_user_id = models.BigIntegerField(null=True, blank=True)
    undone_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("annulée par"),
    )
    undo_reason = models.TextField(_("motif de l'annulation"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("fusion d'identités")
        verbose_name_plural = _("fusions d'identités")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"
