"""Query-string forms of the portal pages: unknown or garbage parameters are a French 400."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_PAGE = 10_000


class StrictForm(forms.Form):
    """Unknown parameters are refused rather than ignored: a typo must not pass silently."""

    def clean(self):
        unknown = sorted(set(self.data) - set(self.fields) - {"csrfmiddlewaretoken"})
        if unknown:
            raise ValidationError(
                _("Paramètre inconnu : %(names)s."), params={"names": ", ".join(name[:30] for name in unknown)}
            )
        return super().clean()


class AccessHistoryForm(StrictForm):
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=MAX_PAGE)

    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1


class MarkNotificationsReadForm(StrictForm):
    """« Marquer comme lue(s) » : one notification, or all of them with ``tout``."""

    notification = forms.IntegerField(label=_("Notification"), required=False, min_value=1)
    tout = forms.BooleanField(label=_("Toutes"), required=False)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and (cleaned.get("notification") is None) == (not cleaned.get("tout")):
            raise ValidationError(_("Indiquez une notification, ou toutes les notifications."))
        return cleaned

    def ids(self) -> list[int] | None:
        value = self.cleaned_data.get("notification")
        return None if value is None else [value]
