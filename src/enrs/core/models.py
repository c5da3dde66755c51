"""Shared kernel models: the service registry behind the portal tiles.

The registry is data: each service of the catalogue is a row saying who may
use it (collèges, audience) and where it lives (``url_name``, empty until the
service is built). The membership issue will attach packs and tariffs to these
rows; the permission API reads them through ``enrs.core.services_registry``.
"""

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
