"""Query-string forms of the portal pages: unknown or garbage parameters are a French 400."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_PAGE = 10_000


class AccessHistoryForm(forms.Form):
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=MAX_PAGE)

    def clean(self):
        unknown = sorted(set(self.data) - set(self.fields))
        if unknown:
            raise ValidationError(
                _("Paramètre inconnu : %(names)s."), params={"names": ", ".join(name[:30] for name in unknown)}
            )
        return super().clean()

    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1
