"""A connector: a system acting for one organisation through OAuth2 client credentials."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import APPLICATION_MODEL


class Connector(models.Model):
    name = models.CharField(_("nom"), max_length=120)
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="connectors",
        help_text=_("Le connecteur n'agit que pour cette organisation et ses établissements."),
    )
    allowed_scopes = models.JSONField(_("portées autorisées"), default=list, blank=True)
    active = models.BooleanField(_("actif"), default=True)
    application = models.OneToOneField(
        APPLICATION_MODEL,
        verbose_name=_("application OAuth2"),
        on_delete=models.CASCADE,
        related_name="connector",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("connecteur")
        verbose_name_plural = _("connecteurs")

    def __str__(self) -> str:
        return self.name

    @property
    def client_id(self) -> str:
        return self.application.client_id
