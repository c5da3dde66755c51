from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class RpuUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier RPU (XML au format OSCOUR)"),
        help_text=_("Le fichier remplace les jours qu'il couvre pour l'établissement nommé dans son en-tête."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(_("Le fichier est vide."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Fichier trop volumineux (200 Mo au plus)."))
        return upload
