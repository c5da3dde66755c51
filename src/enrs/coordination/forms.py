"""Forms of the coordination screens: validate input, resolve ids (French errors, never a 500)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrs.coordination import codes
from enrs.coordination.models import PathwayTemplate
from enrs.coordination.services import DocumentInput
from enrs.directory.models import Organisation, Professional

MAX_PAGE = 10_000


def no_control_characters(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in value or ""):
        raise ValidationError(_("Ce champ contient des caractères non autorisés."))
    return value


class StrictForm(forms.Form):
    """Refuses fields it does not know (a French error instead of silently ignoring them)."""

    def clean(self):
        cleaned = super().clean()
        unknown = sorted(set(self.data) - set(self.fields) - {"csrfmiddlewaretoken"})
        if unknown:
            raise ValidationError(_("Paramètres inconnus : %(names)s.") % {"names": ", ".join(unknown)[:200]})
        return cleaned


class PageForm(StrictForm):
    page = forms.IntegerField(label=_("page"), min_value=1, max_value=MAX_PAGE, required=False)
    docs = forms.IntegerField(label=_("page des documents"), min_value=1, max_value=MAX_PAGE, required=False)


class OpenRecordForm(StrictForm):
    patient = forms.IntegerField(label=_("patient"), min_value=1)


class RecordActionForm(StrictForm):
    """An action on a record; the record id travels in the body (resolved and checked by the view)."""

    record = forms.IntegerField(label=_("dossier"), min_value=1, widget=forms.HiddenInput)


class MemberForm(RecordActionForm):
    rpps = forms.CharField(label=_("RPPS du professionnel"), max_length=11, min_length=11, validators=[no_control_characters])
    role = forms.CharField(label=_("Rôle dans l'équipe"), max_length=120, validators=[no_control_characters])
    organisation = forms.CharField(label=_("FINESS de la structure (facultatif)"), max_length=9, required=False,
                                   validators=[no_control_characters])
    referent = forms.BooleanField(label=_("Référent du patient"), required=False)
    end = forms.DateField(label=_("Fin de la prise en charge (facultatif)"), required=False)

    def clean_rpps(self):
        rpps = self.cleaned_data["rpps"]
        professional = Professional.objects.filter(rpps=rpps, active=True, user__isnull=False).select_related("user").first()
        if professional is None:
            raise ValidationError(_("Aucun professionnel avec un compte ENRS ne porte ce numéro RPPS."))
        return professional

    def clean_organisation(self):
        finess = self.cleaned_data.get("organisation", "")
        if not finess:
            return None
        organisation = Organisation.objects.filter(finess=finess).first()
        if organisation is None:
            raise ValidationError(_("Aucune structure ne porte ce numéro FINESS."))
        return organisation

    def clean_end(self):
        end = self.cleaned_data.get("end")
        if end is not None and end <= timezone.localdate():
            raise ValidationError(_("La fin doit être dans le futur."))
        return end


class IdForm(RecordActionForm):
    """An action on one object of the record, given by its id in the body."""

    id = forms.IntegerField(label=_("identifiant"), min_value=1)


class NoteForm(RecordActionForm):
    text = forms.CharField(label=_("Note"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}),
                           validators=[no_control_characters])


class TaskForm(RecordActionForm):
    title = forms.CharField(label=_("Tâche"), max_length=200, validators=[no_control_characters])
    due_date = forms.DateField(label=_("Échéance"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    assignee = forms.TypedChoiceField(label=_("Attribuée à"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("— personne —"))] + [
            (m.professional_id, f"{m.professional.get_full_name() or m.professional.email} ({m.role})") for m in members
        ]


class PathwayForm(RecordActionForm):
    template = forms.ModelChoiceField(label=_("Parcours"), queryset=PathwayTemplate.objects.filter(active=True))
    start_date = forms.DateField(label=_("Date de référence"), widget=forms.DateInput(attrs={"type": "date"}))


class DocumentForm(RecordActionForm):
    file = forms.FileField(label=_("Fichier (PDF, CDA R2, JPEG, PNG ou texte)"))
    title = forms.CharField(label=_("Titre"), max_length=255, validators=[no_control_characters])
    type_code = forms.ChoiceField(label=_("Type de document"), choices=[])
    service_date = forms.DateField(label=_("Date de l'acte"), widget=forms.DateInput(attrs={"type": "date"}))
    confidentiality = forms.ChoiceField(label=_("Confidentialité"), choices=[], initial="N")
    visible_to_patient = forms.BooleanField(label=_("Visible par le patient"), required=False)
    replaces = forms.IntegerField(label=_("remplace"), min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type_code"].choices = [(code, f"{label} ({code})") for code, (label, _c) in codes.DOCUMENT_TYPES.items()]
        self.fields["confidentiality"].choices = list(codes.CONFIDENTIALITY.items())

    def metadata(self) -> DocumentInput:
        data = self.cleaned_data
        return DocumentInput(title=data["title"], type_code=data["type_code"], service_date=data["service_date"],
                             confidentiality=data["confidentiality"], visible_to_patient=data["visible_to_patient"])


class VisibilityForm(IdForm):
    visible = forms.TypedChoiceField(label=_("visibilité"), choices=[("1", _("visible")), ("0", _("masqué"))],
                                     coerce=lambda v: v == "1")


class DeprecateForm(IdForm):
    reason = forms.CharField(label=_("Motif du retrait"), max_length=1000, validators=[no_control_characters])


class AttachForm(StrictForm):
    id = forms.IntegerField(label=_("mouvement"), min_value=1)
    patient = forms.IntegerField(label=_("identifiant de l'identité régionale"), min_value=1)
