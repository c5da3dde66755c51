"""Forms of the messaging screens (French labels and errors)."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from enrs.messaging.models import Conversation, Request

KIND_CHOICES = [(k, label) for k, label in Conversation.Kind.choices]


def _users_by_email(raw: str) -> list:
    emails = [e.strip() for e in raw.replace(";", ",").split(",") if e.strip()]
    users, unknown = [], []
    for email in emails:
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        (users if user else unknown).append(user or email)
    if unknown:
        raise forms.ValidationError(_("Adresse(s) inconnue(s) : %(list)s.") % {"list": ", ".join(unknown)})
    return users


class ConversationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de conversation"), choices=KIND_CHOICES)
    title = forms.CharField(label=_("Objet"), max_length=200, required=False)
    members = forms.CharField(
        label=_("Participants (adresses e-mail, séparées par des virgules)"), required=False, max_length=2000,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )
    patient = forms.ModelChoiceField(label=_("Patient concerné"), queryset=None, required=False)

    def __init__(self, *args, patients=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients

    def clean_members(self):
        return _users_by_email(self.cleaned_data.get("members", ""))


class AddParticipantsForm(forms.Form):
    members = forms.CharField(
        label=_("Professionnels à ajouter (adresses e-mail, séparées par des virgules)"), max_length=2000,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )

    def clean_members(self):
        return _users_by_email(self.cleaned_data.get("members", ""))


class MessageForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    body = forms.CharField(
        label=_("Votre message"), required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    attachment = forms.FileField(label=_("Pièce jointe (PDF, image, CDA, texte)"), required=False)

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("body") or "").strip() and not cleaned.get("attachment") and not self.errors:
            raise forms.ValidationError(_("Le message est vide."))
        return cleaned


class WorklistForm(forms.Form):
    """Worklist filters; unknown values are errors (never silently ignored)."""

    q = forms.CharField(label=_("Recherche (n° de demande)"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("Statut"), required=False, choices=[("", _("Tous"))] + list(Request.Status.choices))
    type = forms.ChoiceField(label=_("Type"), required=False)
    scope = forms.ChoiceField(
        label=_("Périmètre"), required=False,
        choices=[("", _("Toutes mes demandes")), ("to_me", _("Qui me sont adressées")), ("mine", _("Que j'ai créées"))],
    )
    overdue = forms.BooleanField(label=_("En retard seulement"), required=False)
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("Tous"))] + [(t.code, t.label) for t in types]

    def clean_q(self):
        value = self.cleaned_data.get("q", "").strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("Saisissez un numéro de demande (chiffres seulement)."))
        return value


class AddresseeForm(forms.Form):
    """Addressee and subject of a new request; the type's own fields are data (DynamicFieldsForm)."""

    to_user = forms.EmailField(label=_("Destinataire : une personne (adresse e-mail)"), required=False)
    to_team = forms.ModelChoiceField(label=_("… ou une équipe"), queryset=None, required=False)
    to_organisation = forms.CharField(label=_("… ou une structure (FINESS)"), required=False, max_length=9)
    patient = forms.ModelChoiceField(label=_("Patient concerné"), queryset=None, required=False)
    professional = forms.CharField(label=_("Professionnel concerné (RPPS ou idNatPS)"), required=False, max_length=12)
    due_date = forms.DateField(label=_("Échéance (facultative)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, teams=None, patients=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_team"].queryset = teams
        self.fields["patient"].queryset = patients

    def clean_to_user(self):
        email = self.cleaned_data.get("to_user")
        return _users_by_email(email)[0] if email else None

    def clean_to_organisation(self):
        from enrs.directory.models import Organisation

        finess = (self.cleaned_data.get("to_organisation") or "").strip()
        if not finess:
            return None
        organisation = Organisation.objects.filter(finess=finess).first()
        if organisation is None:
            raise forms.ValidationError(_("Aucune structure avec le FINESS %(f)s.") % {"f": finess})
        return organisation

    def clean_professional(self):
        from enrs.directory.models import Professional

        value = (self.cleaned_data.get("professional") or "").strip()
        if not value:
            return None
        professional = Professional.objects.filter(rpps=value).first() or Professional.objects.filter(idnat_ps=value).first()
        if professional is None:
            raise forms.ValidationError(_("Aucun professionnel avec l'identifiant %(v)s.") % {"v": value})
        return professional


def dynamic_form_class(request_type):
    """A form whose fields come from the request type's definition (rendering only: demandes.clean_data validates)."""
    fields = {}
    for field in request_type.fields:
        common = {"label": field["label"], "required": bool(field.get("required"))}
        if field["type"] == "choice":
            fields[field["name"]] = forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in field["choices"]], **common)
        elif field["type"] == "textarea":
            fields[field["name"]] = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
        elif field["type"] == "date":
            fields[field["name"]] = forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        elif field["type"] == "integer":
            fields[field["name"]] = forms.CharField(widget=forms.NumberInput(), **common)
        else:
            fields[field["name"]] = forms.CharField(**common)
    return type("RequestDataForm", (forms.Form,), fields)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Nouveau statut"), choices=Request.Status.choices)
    assignee = forms.EmailField(label=_("Affecter à (adresse e-mail)"), required=False)
    note = forms.CharField(label=_("Note (obligatoire pour un refus)"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    def clean_assignee(self):
        email = self.cleaned_data.get("assignee")
        return _users_by_email(email)[0] if email else None


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Commentaire"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(label=_("Pièce jointe"), required=False)


class MssanteForm(forms.Form):
    to_address = forms.EmailField(label=_("Adresse MSSanté du destinataire"))
    subject = forms.CharField(label=_("Objet"), max_length=250)
    body = forms.CharField(label=_("Message"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 5}))
    patient = forms.ModelChoiceField(label=_("Patient concerné (facultatif)"), queryset=None, required=False)
    attachment = forms.FileField(label=_("Document joint (PDF, CDA, image, texte)"), required=False)

    def __init__(self, *args, patients=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients
