"""Upload form of the directory imports (agency staff)."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from enrs.directory.importers.base import FileRejected, check_header
from enrs.directory.importers.runner import importer_class
from enrs.directory.models import ImportRun

ALLOWED_EXTENSIONS = {
    ImportRun.Kind.ANNUAIRE: (".txt", ".zip"),
    ImportRun.Kind.FINESS: (".csv", ".zip"),
}


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type de fichier"),
        choices=ImportRun.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Type de fichier : choisissez Annuaire Santé ou FINESS."),
            "invalid_choice": _("Type de fichier : « %(value)s » n'est pas un choix possible (Annuaire Santé ou FINESS)."),
        },
    )
    file = forms.FileField(
        label=_("Fichier"),
        help_text=_(
            "Annuaire Santé : PS_LibreAcces_Personne_activite_….txt (ou l'archive .zip). "
            "FINESS : etalab-cs1100507-stock-….csv (ou l'archive .zip)."
        ),
        error_messages={
            "required": _("Fichier : choisissez le fichier à importer."),
            "empty": _("Fichier : le fichier envoyé est vide."),
            "invalid": _("Fichier : aucun fichier n'a été reçu ; vérifiez le formulaire."),
            "missing": _("Fichier : aucun fichier n'a été reçu."),
            "max_length": _("Fichier : le nom du fichier est trop long."),
        },
        max_length=255,
    )

    def clean(self):
        cleaned = super().clean()
        kind, upload = cleaned.get("kind"), cleaned.get("file")
        if not (kind and upload):
            return cleaned
        extensions = ALLOWED_EXTENSIONS[kind]
        if Path(upload.name).suffix.lower() not in extensions:
            self.add_error(
                "file",
                _("Fichier : pour %(kind)s, envoyez un fichier %(extensions)s.")
                % {"kind": ImportRun.Kind(kind).label, "extensions": " ou ".join(extensions)},
            )
            return cleaned
        try:
            check_header(importer_class(kind), upload)
        except FileRejected as exc:
            self.add_error("file", _("Fichier : %(error)s") % {"error": exc})
        return cleaned
