"""Forms of the habilitation screens: break-glass search and opening, patient oppositions."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrs.access import selectors, services

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
YES_NO = [("non", _("Non")), ("oui", _("Oui"))]


class PatientSearchForm(forms.Form):
    """Exact traits only: a break-glass search must not become a way to browse patients."""

    last_name = forms.CharField(label=_("Nom (de naissance ou utilisé)"), max_length=120)
    birth_date = forms.DateField(label=_("Date de naissance"), input_formats=DATE_FORMATS, help_text=_("JJ/MM/AAAA"))

    def clean_last_name(self) -> str:
        value = " ".join(self.cleaned_data["last_name"].split())
        if not value or any(ord(ch) < 32 for ch in value):
            raise forms.ValidationError(_("Saisissez le nom exact du patient."))
        return value

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("La date de naissance ne peut pas être dans le futur."))
        return value


class BreakGlassForm(PatientSearchForm):
    """The break-glass request repeats the search traits: the patient id alone opens nothing."""

    patient = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Motif de l'accès en urgence"),
        min_length=services.BREAK_GLASS_MIN_REASON,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire. Il sera communiqué au patient et à son équipe de soins."),
    )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        found = selectors.find_patients_exactly(cleaned["last_name"], cleaned["birth_date"]).filter(pk=cleaned["patient"])
        self.patient_obj = found.first()
        if self.patient_obj is None:
            raise forms.ValidationError(_("Aucun patient ne correspond exactement au nom et à la date de naissance saisis."))
        return cleaned


class ConsentForm(forms.Form):
    opposes_sharing = forms.TypedChoiceField(
        label=_("Je m'oppose au partage de mes données entre professionnels"),
        choices=YES_NO,
        coerce=lambda value: value == "oui",
        widget=forms.RadioSelect,
        help_text=_(
            "Les accès ponctuels donnés à d'autres professionnels sont suspendus, et chaque document n'est visible "
            "que de l'équipe qui vous suit dans l'établissement qui l'a produit."
        ),
    )
    opposes_break_glass = forms.TypedChoiceField(
        label=_("Je m'oppose à l'accès en urgence à mon dossier (bris de glace)"),
        choices=YES_NO,
        coerce=lambda value: value == "oui",
        widget=forms.RadioSelect,
        help_text=_("Un professionnel qui ne fait pas partie de votre équipe de soins ne pourra pas ouvrir votre dossier, même en urgence."),
    )
