from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enrs.connectors.models import Connector
from enrs.connectors.scopes import scope_choices


class ConnectorAdminForm(forms.ModelForm):
    allowed_scopes = forms.MultipleChoiceField(
        label=_("portées autorisées"),
        choices=scope_choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins une portée."), "invalid_choice": _("Portée inconnue : %(value)s.")},
    )

    class Meta:
        model = Connector
        fields = ("name", "organisation", "allowed_scopes", "active")
