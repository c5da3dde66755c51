"""Forms of the identity-vigilance screens.

Query-string forms refuse unknown parameters (a French 400), like the portal's.
Action forms carry the object ids in the body, so a malformed post is a form
error shown in French, never a 500; the objects are resolved in ``clean``.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrs.identity.models import (
    IdentityAnomaly,
    IdentityCollision,
    IdentityMerge,
    Patient,
    PotentialDuplicate,
    WorkItemStatus,
)

MAX_PAGE = 10_000
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _no_control_characters(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in value):
        raise ValidationError(_("Ce champ contient des caractères non autorisés."))
    return value


class StrictQueryForm(forms.Form):
    """A GET form that refuses parameters it does not know."""

    def clean(self):
        unknown = sorted(set(self.data) - set(self.fields))
        if unknown:
            raise ValidationError(
                _("Paramètre inconnu : %(names)s."), params={"names": ", ".join(name[:30] for name in unknown)}
            )
        return super().clean()


class WorklistForm(StrictQueryForm):
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=MAX_PAGE)

    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1


class SearchForm(StrictQueryForm):
    """Find an identity by local identifier, by INS, or by exact name and birth date."""

    authority = forms.CharField(label=_("Autorité d'affectation (établissement)"), max_length=64, required=False,
                                validators=[_no_control_characters])
    value = forms.CharField(label=_("Identifiant local (IPP)"), max_length=64, required=False,
                            validators=[_no_control_characters])
    ins = forms.CharField(label=_("Matricule INS"), max_length=21, required=False, validators=[_no_control_characters])
    birth_name = forms.CharField(label=_("Nom (de naissance ou utilisé)"), max_length=120, required=False,
                                 validators=[_no_control_characters])
    birth_date = forms.DateField(label=_("Date de naissance"), input_formats=DATE_FORMATS, required=False,
                                 help_text=_("JJ/MM/AAAA"))

    def clean_ins(self) -> str:
        from enrs.core.validators import validate_nir

        value = self.cleaned_data["ins"]
        return validate_nir(value) if value.strip() else ""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        by_local = cleaned.get("authority") and cleaned.get("value")
        by_name = cleaned.get("birth_name", "").strip() and cleaned.get("birth_date")
        if not (by_local or cleaned.get("ins") or by_name):
            raise ValidationError(_(
                "Saisissez un identifiant local avec son autorité, un matricule INS, ou un nom avec une date de naissance."
            ))
        if cleaned.get("birth_date") and cleaned["birth_date"] > timezone.localdate():
            self.add_error("birth_date", _("La date de naissance ne peut pas être dans le futur."))
        return cleaned


def _reason_field(label):
    return forms.CharField(label=label, min_length=3, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                           validators=[_no_control_characters])


class _ObjectForm(forms.Form):
    """Resolves ``field_name`` (a primary key in the body) to an object of ``model``."""

    model = None
    field_name = ""
    missing_message = _("Élément introuvable.")

    def resolve(self, queryset=None):
        pk = self.cleaned_data.get(self.field_name)
        found = (queryset if queryset is not None else self.model.objects).filter(pk=pk).first() if pk else None
        if found is None:
            self.add_error(self.field_name, self.missing_message)
        return found


class DuplicateDecisionForm(_ObjectForm):
    model = PotentialDuplicate
    field_name = "duplicate"
    missing_message = _("Ce doublon potentiel n'existe pas ou a déjà été traité.")
    duplicate = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    reason = _reason_field(_("Motif de la décision"))

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.duplicate_obj = self.resolve(PotentialDuplicate.objects.filter(status=WorkItemStatus.OPEN))
        return cleaned


class MergeForm(DuplicateDecisionForm):
    survivor = forms.TypedChoiceField(
        label=_("Identité à conserver"), choices=[("a", _("Identité A")), ("b", _("Identité B"))],
        widget=forms.RadioSelect, coerce=str,
    )

    def pair(self) -> tuple[Patient, Patient]:
        """(survivor, merged)."""
        a, b = self.duplicate_obj.patient_a, self.duplicate_obj.patient_b
        return (a, b) if self.cleaned_data["survivor"] == "a" else (b, a)


class UnmergeForm(_ObjectForm):
    model = IdentityMerge
    field_name = "merge"
    missing_message = _("Cette fusion n'existe pas.")
    merge = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    reason = _reason_field(_("Motif de l'annulation"))

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.merge_obj = self.resolve()
        return cleaned


class CollisionForm(_ObjectForm):
    model = Patient
    field_name = "patient"
    missing_message = _("Cette identité n'existe pas.")
    patient = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    description = _reason_field(_("Pourquoi deux personnes sont-elles derrière cette identité ?"))

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.patient_obj = self.resolve(Patient.objects.active())
        return cleaned


class InsiForm(_ObjectForm):
    model = Patient
    field_name = "patient"
    missing_message = _("Cette identité n'existe pas.")
    patient = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.patient_obj = self.resolve(Patient.objects.active())
        return cleaned


class ResolveForm(forms.Form):
    KINDS = {"collision": IdentityCollision, "anomaly": IdentityAnomaly}
    kind = forms.ChoiceField(label=_("Type"), choices=[("collision", _("Collision")), ("anomaly", _("Anomalie"))],
                             widget=forms.HiddenInput)
    item = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    resolution = _reason_field(_("Résolution"))

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        model = self.KINDS[cleaned["kind"]]
        self.item_obj = model.objects.filter(pk=cleaned["item"], status=WorkItemStatus.OPEN).select_related("patient").first()
        if self.item_obj is None:
            self.add_error("item", _("Cet élément n'existe pas ou a déjà été traité."))
        return cleaned
