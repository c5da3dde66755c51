"""User accounts: one model for professionals, patients and agency staff."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class EnrsUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Logins use the e-mail address, whatever its case.
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    class Kind(models.TextChoices):
        PROFESSIONAL = "pro", _("Professionnel de santé")
        PATIENT = "patient", _("Patient")
        AGENCY = "agency", _("Équipe de l'agence")

    email = models.EmailField(_("adresse e-mail"), unique=True)
    kind = models.CharField(_("type de compte"), max_length=10, choices=Kind.choices, default=Kind.PROFESSIONAL)

    objects = EnrsUserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    @property
    def is_patient(self) -> bool:
        return self.kind == self.Kind.PATIENT

    @property
    def is_professional(self) -> bool:
        return self.kind == self.Kind.PROFESSIONAL
