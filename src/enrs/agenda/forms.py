"""Forms of the agenda screens: every error is French and names its field."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrs.agenda import selectors

RADIUS_CHOICES = [("", _("Toute la région")), ("5", "5 km"), ("10", "10 km"), ("30", "30 km"), ("50", "50 km"), ("100", "100 km")]
SAFE_TEXT = 120


def _no_control(value: str, field: str) -> str:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValidationError(_("Caractères de contrôle refusés."), code="invalid")
    return value.strip()


class SearchForm(forms.Form):
    nom = forms.CharField(label=_("Nom du praticien ou de la structure"), required=False, max_length=SAFE_TEXT)
    specialite = forms.ChoiceField(label=_("Spécialité"), required=False)
    motif = forms.CharField(label=_("Motif de consultation"), required=False, max_length=SAFE_TEXT)
    commune = forms.CharField(label=_("Commune ou code INSEE"), required=False, max_length=SAFE_TEXT)
    rayon = forms.ChoiceField(label=_("Distance"), required=False, choices=RADIUS_CHOICES)
    teleconsultation = forms.BooleanField(label=_("Téléconsultation possible"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=50, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialite"].choices = [("", _("Toutes"))] + selectors.specialty_choices()

    def clean_nom(self):
        return _no_control(self.cleaned_data["nom"], "nom")

    def clean_motif(self):
        return _no_control(self.cleaned_data["motif"], "motif")

    def clean(self):
        data = super().clean()
        unknown = sorted(key for key in self.data if key not in self.fields)
        if unknown:
            self.add_error(None, _("Critère de recherche inconnu : %(names)s.") % {"names": ", ".join(k[:30] for k in unknown[:5])})
        commune = _no_control(data.get("commune") or "", "commune") if "commune" in data else ""
        self.centre = None
        if commune:
            resolved = selectors.resolve_commune(commune)
            if resolved is None:
                self.add_error("commune", _("Commune inconnue : « %(value)s ».") % {"value": commune})
            else:
                self.centre = resolved.point
        if data.get("rayon") and not commune:
            self.add_error("commune", _("Indiquez une commune pour chercher à une distance donnée."))
        return data

    @property
    def has_criteria(self) -> bool:
        data = self.cleaned_data
        return any(data.get(name) for name in ("nom", "specialite", "motif", "commune", "teleconsultation"))

    def criteria(self) -> selectors.SearchCriteria:
        data = self.cleaned_data
        radius = float(data["rayon"]) if data.get("rayon") else (30.0 if self.centre else None)
        return selectors.SearchCriteria(name=data["nom"], specialty=data.get("specialite") or "", motif=data["motif"],
                                        centre=self.centre, radius_km=radius, teleconsultation=data["teleconsultation"])


class WeekForm(forms.Form):
    motif = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    semaine = forms.DateField(label=_("Semaine du"), required=False, input_formats=["%Y-%m-%d"])

    def clean_semaine(self):
        value = self.cleaned_data["semaine"]
        today = timezone.localdate()
        if value and not today - dt.timedelta(days=7) <= value <= today + dt.timedelta(days=400):
            raise ValidationError(_("Semaine hors de la période réservable."))
        return value or today


class SlotForm(forms.Form):
    """The slot the user picked: the motif and the start instant (ISO 8601 with offset)."""

    motif = forms.IntegerField(label=_("Motif"), min_value=1)
    start = forms.CharField(label=_("Créneau"), max_length=40)

    def clean_start(self):
        raw = self.cleaned_data["start"].strip()
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError as exc:
            raise ValidationError(_("Créneau illisible : « %(value)s ».") % {"value": raw[:40]}) from exc
        if timezone.is_naive(value):
            raise ValidationError(_("Créneau sans fuseau horaire."))
        return value


class ConfirmForm(forms.Form):
    contact_phone = forms.CharField(label=_("Téléphone mobile pour le rappel par SMS (facultatif)"), required=False, max_length=20)
    accept = forms.BooleanField(label=_("Je confirme ce rendez-vous"), required=True,
                                error_messages={"required": _("Cochez la case pour confirmer le rendez-vous.")})

    def clean_contact_phone(self):
        value = _no_control(self.cleaned_data["contact_phone"], "contact_phone")
        if value and not value.replace(" ", "").lstrip("+").isdigit():
            raise ValidationError(_("Numéro de téléphone invalide (chiffres, espaces et + seulement)."))
        return value


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Motif de l'annulation"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_reason(self):
        return _no_control(self.cleaned_data["reason"], "reason")


class ProBookForm(SlotForm):
    patient_label = forms.CharField(label=_("Patient (nom, prénom, date de naissance)"), max_length=200)
    comment = forms.CharField(label=_("Information pour l'équipe qui reçoit"), required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def clean_patient_label(self):
        return _no_control(self.cleaned_data["patient_label"], "patient_label")

    def clean_comment(self):
        return _no_control(self.cleaned_data["comment"], "comment")


class DayForm(forms.Form):
    jour = forms.DateField(label=_("Jour"), required=False, input_formats=["%Y-%m-%d"])


# --- Agenda settings (the professional's own screen) --------------------------------------------
WEEKDAYS = [("MO", _("lundi")), ("TU", _("mardi")), ("WE", _("mercredi")), ("TH", _("jeudi")), ("FR", _("vendredi")),
            ("SA", _("samedi")), ("SU", _("dimanche"))]
INTERVALS = [("1", _("toutes les semaines")), ("2", _("une semaine sur deux"))]


class MotifForm(forms.Form):
    label = forms.CharField(label=_("Motif"), max_length=200)
    duration_minutes = forms.IntegerField(label=_("Durée (minutes)"), min_value=5, max_value=480)
    mode = forms.ChoiceField(label=_("Modalité"), choices=[])
    audience = forms.ChoiceField(label=_("Qui peut réserver"), choices=[])
    circuit = forms.ModelChoiceField(label=_("Circuit (pour un motif réservé aux confrères)"), queryset=None, required=False)
    min_notice_minutes = forms.IntegerField(label=_("Délai minimal de réservation (minutes)"), min_value=0, max_value=60 * 24 * 30, initial=120)
    horizon_days = forms.IntegerField(label=_("Horizon de réservation (jours)"), min_value=1, max_value=365, initial=60)
    cancel_notice_hours = forms.IntegerField(label=_("Annulation en ligne jusqu'à (heures avant)"), min_value=0, max_value=720, initial=24)

    def __init__(self, *args, agenda, **kwargs):
        from enrs.agenda.models import Motif

        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = Motif.Mode.choices
        self.fields["audience"].choices = Motif.Audience.choices
        self.fields["circuit"].queryset = selectors.circuits_open_to(agenda)

    def clean_label(self):
        return _no_control(self.cleaned_data["label"], "label")


class RuleForm(forms.Form):
    """Opening hours as a person says them (days, every week or every other week); the RRULE is built from them."""

    label = forms.CharField(label=_("Libellé (facultatif)"), max_length=120, required=False)
    days = forms.MultipleChoiceField(label=_("Jours"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple,
                                     error_messages={"required": _("Cochez au moins un jour.")})
    interval = forms.ChoiceField(label=_("Fréquence"), choices=INTERVALS, initial="1")
    start_date = forms.DateField(label=_("À partir du"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("Jusqu'au (facultatif)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label=_("Heure d'ouverture"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("Heure de fermeture"), widget=forms.TimeInput(attrs={"type": "time"}))
    motifs = forms.ModelMultipleChoiceField(label=_("Motifs proposés (tous si aucun)"), queryset=None, required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, agenda, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["motifs"].queryset = agenda.motifs.filter(active=True)

    def clean_label(self):
        return _no_control(self.cleaned_data["label"], "label")

    def rrule(self) -> str:
        days = [code for code, _label in WEEKDAYS if code in self.cleaned_data["days"]]
        interval = int(self.cleaned_data["interval"])
        return f"FREQ=WEEKLY;{'INTERVAL=2;' if interval == 2 else ''}BYDAY={','.join(days)}"


class AbsenceForm(forms.Form):
    start = forms.DateTimeField(label=_("Début"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    end = forms.DateTimeField(label=_("Fin"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                              input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    reason = forms.CharField(label=_("Motif (facultatif, visible de votre équipe seulement)"), max_length=200, required=False)

    def clean_reason(self):
        return _no_control(self.cleaned_data["reason"], "reason")


class PublishForm(forms.Form):
    published = forms.BooleanField(label=_("Publié pour la prise de rendez-vous en ligne"), required=False)


class RemoveForm(forms.Form):
    """The id of the motif, rule or absence to remove (looked up within the agenda only)."""

    item = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
