"""Forms of the telehealth screens. Objects are named by id in the form body and resolved in
the view through the permission API; a wrong id is a field error, never a 500."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enrs.identity.models import Patient
from enrs.telehealth import config
from enrs.telehealth.models import Meeting

MAX_ATTACHMENTS = 10


class IdField(forms.IntegerField):
    def __init__(self, *, model, label, **kwargs):
        self.model = model
        super().__init__(label=label, min_value=1, max_value=2**62, widget=forms.HiddenInput, **kwargs)
        self.error_messages["invalid"] = _("Identifiant invalide.")

    def clean(self, value):
        pk = super().clean(value)
        if pk is None:
            return None
        obj = self.model.objects.filter(pk=pk).first()
        if obj is None:
            raise forms.ValidationError(_("Élément introuvable."), code="unknown")
        return obj


class PatientIdField(IdField):
    def __init__(self, **kwargs):
        super().__init__(model=Patient, label=_("Patient (numéro d'identité régionale)"), **kwargs)
        self.widget = forms.NumberInput()


def _programme_choices():
    return [(p.code, p.name) for p in config.programmes()]


class EnrolForm(forms.Form):
    patient = PatientIdField()
    programme = forms.ChoiceField(label=_("Programme"), choices=_programme_choices)
    monitoring_doctor = forms.CharField(label=_("Médecin de surveillance (RPPS)"), max_length=12)
    inr_target_low = forms.CharField(label=_("INR cible : borne basse"), max_length=10, required=False)
    inr_target_high = forms.CharField(label=_("INR cible : borne haute"), max_length=10, required=False)
    expert_centre = forms.CharField(label=_("Centre expert (FINESS)"), max_length=9, required=False)
    treatment = forms.CharField(label=_("Traitement"), max_length=200, required=False)


class InrForm(forms.Form):
    enrolment = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    value = forms.CharField(label=_("INR mesuré"), max_length=20)
    measured_at = forms.DateTimeField(label=_("Date et heure du prélèvement"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class DoseForm(forms.Form):
    enrolment = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    previous_dose = forms.CharField(label=_("Posologie précédente"), max_length=120)
    new_dose = forms.CharField(label=_("Nouvelle posologie"), max_length=120)
    reason = forms.CharField(label=_("Motif"), max_length=300, required=False)
    next_check_on = forms.DateField(label=_("Prochain contrôle INR"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class WoundForm(forms.Form):
    enrolment = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    photo = forms.FileField(label=_("Photo de la plaie (PNG ou JPEG)"))
    length_mm = forms.CharField(label=_("Longueur (mm)"), max_length=10)
    width_mm = forms.CharField(label=_("Largeur (mm)"), max_length=10)
    depth_mm = forms.CharField(label=_("Profondeur (mm)"), max_length=10, required=False)
    note = forms.CharField(label=_("Observation"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False)


class AlertForm(forms.Form):
    alert = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)


class QuestionnaireForm(forms.Form):
    """Built from the programme's questionnaire items (data); typed checks happen in the service."""

    enrolment = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    questionnaire = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, questionnaire=None, **kwargs):
        super().__init__(*args, **kwargs)
        for item in questionnaire.items if questionnaire else ():
            if item.type == "boolean":
                field = forms.ChoiceField(choices=[("oui", _("Oui")), ("non", _("Non"))], widget=forms.RadioSelect, required=item.required)
            elif item.type == "text":
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=item.required)
            else:
                attrs = {k: str(v) for k, v in (("min", item.min), ("max", item.max)) if v is not None}
                field = forms.CharField(widget=forms.NumberInput(attrs=attrs), max_length=20, required=item.required)
            field.label = item.text
            self.fields[item.link_id] = field


class ExpertiseForm(forms.Form):
    patient = PatientIdField()
    expert = forms.CharField(label=_("Expert sollicité (RPPS ou identifiant national)"), max_length=12, required=False)
    expert_team = forms.CharField(label=_("ou équipe experte (FINESS de la structure)"), max_length=9, required=False)
    question = forms.CharField(label=_("Question posée"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    clinical_context = forms.CharField(label=_("Contexte clinique"), widget=forms.Textarea(attrs={"rows": 6}), max_length=10000)

    def clean(self):
        data = super().clean()
        if not data.get("expert") and not data.get("expert_team"):
            self.add_error("expert", _("Indiquez un expert ou une équipe experte."))
        return data


class ExpertiseActionForm(forms.Form):
    request = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    action = forms.ChoiceField(choices=[("accept", _("Accepter")), ("answer", _("Répondre")), ("decline", _("Décliner"))], widget=forms.HiddenInput)
    answer = forms.CharField(label=_("Réponse de l'expert"), widget=forms.Textarea(attrs={"rows": 6}), max_length=10000, required=False)
    reason = forms.CharField(label=_("Motif du refus"), max_length=300, required=False)


class UrgentForm(forms.Form):
    patient = PatientIdField()
    specialty_code = forms.CharField(label=_("Spécialité (code TRE_R38, ex. SM42 neurologie)"), max_length=10)
    reason = forms.CharField(label=_("Situation"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class UrgentAcceptForm(forms.Form):
    request = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)


class ShiftForm(forms.Form):
    specialty_code = forms.CharField(label=_("Spécialité (code TRE_R38)"), max_length=10)
    expert = forms.CharField(label=_("Expert (RPPS)"), max_length=12)
    starts_at = forms.DateTimeField(label=_("Début"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Fin"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    rank = forms.IntegerField(label=_("Rang d'appel"), min_value=1, max_value=20, initial=1)


class TelesoinForm(forms.Form):
    patient = PatientIdField()


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Meeting.Kind.choices)
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    scheduled_at = forms.DateTimeField(label=_("Date et heure"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    participants = forms.CharField(label=_("Participants (un RPPS par ligne)"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000, required=False)


class CaseForm(forms.Form):
    meeting = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    patient = PatientIdField()
    question = forms.CharField(label=_("Question posée à la réunion"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class CaseDocumentForm(forms.Form):
    case = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    document = forms.FileField(label=_("Document (PDF, image, CDA)"))


class DecisionForm(forms.Form):
    case = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    decision = forms.CharField(label=_("Décision"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000)


class ActsFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Année"), min_value=2018, max_value=2100)


# --- Video rooms ------------------------------------------------------------------------------------
class TeleconsultationForm(forms.Form):
    patient = PatientIdField()
    title = forms.CharField(label=_("Intitulé"), max_length=200, initial=_("Téléconsultation"))
    starts_at = forms.DateTimeField(label=_("Début (heure de Paris)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    duration_minutes = forms.IntegerField(label=_("Durée (minutes)"), min_value=5, max_value=240, initial=20)


class AppointmentRoomForm(forms.Form):
    appointment = forms.UUIDField(widget=forms.HiddenInput, error_messages={"invalid": _("Rendez-vous inconnu.")})


class ConsentForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Votre décision"), widget=forms.RadioSelect,
        choices=[("given", _("J'accepte la téléconsultation par vidéo")), ("refused", _("Je refuse"))],
    )


class ThirdPartyForm(forms.Form):
    rpps = forms.CharField(label=_("Professionnel à inviter (RPPS ou identifiant national)"), max_length=20)
    role = forms.ChoiceField(label=_("Rôle"), choices=[("third", _("Tiers auprès du patient (ex. infirmier)")), ("guest", _("Invité"))])


class SessionDocumentForm(forms.Form):
    document = forms.FileField(label=_("Document à partager (PDF, PNG, JPEG)"))


class CloseSessionForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    findings = forms.CharField(label=_("Observations"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    conclusion = forms.CharField(label=_("Conclusion et conduite à tenir"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    billing_code = forms.ChoiceField(label=_("Acte"), choices=[("TCG", _("TCG — secteur 1 / OPTAM")), ("TC", _("TC — secteur 2"))])
    mssante_to = forms.EmailField(label=_("Envoyer aussi par MSSanté à (facultatif)"), required=False)
