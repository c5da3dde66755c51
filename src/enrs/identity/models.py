"""Patient identities (foundation subset).

The foundation stores the strict traits needed to show a patient his own home
and to build the demo region. The identity issue adds INS, RNIV statuses,
cross-references, matching and vigilance worklists on top of this model.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Féminin")
        MALE = "M", _("Masculin")
        UNKNOWN = "I", _("Indéterminé")

    birth_name = models.CharField(_("nom de naissance"), max_length=120)
    birth_first_names = models.CharField(
        _("prénoms de naissance"), max_length=255, help_text=_("Séparés par des espaces, dans l'ordre de l'état civil.")
    )
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    birth_place_insee = models.CharField(_("lieu de naissance (code INSEE)"), max_length=5, blank=True)
    used_name = models.CharField(_("nom utilisé"), max_length=120, blank=True)
    used_first_name = models.CharField(_("prénom utilisé"), max_length=120, blank=True)
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

    class Meta:
        ordering = ["birth_name", "birth_first_names"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        indexes = [models.Index(fields=["birth_name", "birth_date"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def first_name(self) -> str:
        return self.used_first_name or self.birth_first_names.split(" ")[0]

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.used_name or self.birth_name}"
