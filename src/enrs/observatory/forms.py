from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class StrictQueryForm(forms.Form):
    """A filter form (query string) that refuses unknown parameters with a French message."""

    def clean(self):
        cleaned = super().clean()
        unknown = sorted(set(self.data) - set(self.fields))
        if unknown:
            raise forms.ValidationError(_("Paramètre inconnu : %(names)s.") % {"names": ", ".join(unknown)[:200]})
        return cleaned


def checked_upload(upload, max_bytes: int, too_big: str):
    """The uploaded file, unless it is empty or larger than ``max_bytes`` (French ``too_big`` message)."""
    if upload.size == 0:
        raise forms.ValidationError(_("Le fichier est vide."))
    if upload.size > max_bytes:
        raise forms.ValidationError(too_big)
    return upload


class RpuUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier RPU (XML au format OSCOUR)"),
        help_text=_("Le fichier remplace les jours qu'il couvre pour l'établissement nommé dans son en-tête."),
    )

    def clean_file(self):
        return checked_upload(self.cleaned_data["file"], MAX_UPLOAD_BYTES, _("Fichier trop volumineux (200 Mo au plus)."))
