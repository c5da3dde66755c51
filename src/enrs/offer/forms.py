"""Forms of the TODS search and of the capacity update.

The search form is always bound to the query string (GET), so a wrong code, an
unknown commune or a coordinate out of range typed in the URL becomes a French
field error (HTTP 400) instead of a server error.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enrs.offer import geo, selectors
from enrs.offer.models import TelehealthOffer

RADIUS_CHOICES = [("", _("Sans limite")), ("5", "5 km"), ("10", "10 km"), ("20", "20 km"), ("30", "30 km"), ("50", "50 km"), ("100", "100 km")]
DEFAULT_RADIUS = 30


def _with_blank(choices, label) -> list[tuple[str, str]]:
    return [("", label), *choices]


class OfferSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Que cherchez-vous ?"),
        help_text=_("Par exemple « douleur », « cardiologie » ou le nom d'un établissement. Les accents sont facultatifs."),
        required=False, max_length=100,
        widget=forms.SearchInput(attrs={"autocomplete": "off"}),
    )
    commune = forms.CharField(
        label=_("Autour de la commune"), help_text=_("Nom ou code INSEE de la commune."), required=False, max_length=80,
    )
    radius = forms.TypedChoiceField(label=_("Distance"), choices=RADIUS_CHOICES, required=False, coerce=int, empty_value=None)
    activity = forms.ChoiceField(label=_("Activité"), required=False)
    care_mode = forms.ChoiceField(label=_("Mode de prise en charge"), required=False)
    public = forms.ChoiceField(label=_("Public"), required=False)
    specialisation = forms.ChoiceField(label=_("Spécialisation"), required=False)
    equipment = forms.ChoiceField(label=_("Équipement"), required=False)
    telehealth = forms.ChoiceField(
        label=_("Télésanté"), required=False, choices=_with_blank(TelehealthOffer.Kind.choices, _("Indifférent")),
    )
    departement = forms.ChoiceField(label=_("Département"), required=False)
    # A point instead of a commune (links from the map, API-like use); not rendered.
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    page = forms.IntegerField(required=False, min_value=1, max_value=selectors.MAX_PAGE, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for name, role, blank in (
            ("activity", "activity", _("Toutes les activités")), ("care_mode", "care_mode", _("Tous les modes")),
            ("public", "public", _("Tous les publics")), ("specialisation", "specialisation", _("Toutes")),
            ("equipment", "equipment", _("Tous")),
        ):
            self.fields[name].choices = _with_blank(selectors.choices(role), blank)
        self.fields["departement"].choices = _with_blank(selectors.departement_choices(), _("Tous les départements"))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["centre"], data["centre_label"] = None, ""
        if data.get("lat") is not None or data.get("lon") is not None:
            try:
                point = geo.check_coordinates(data.get("lat"), data.get("lon"))
            except ValidationError as exc:
                raise ValidationError({"commune": [msg for msgs in exc.message_dict.values() for msg in msgs]}) from exc
            data["centre"], data["centre_label"] = point, f"{point.latitude:.4f}, {point.longitude:.4f}"
        elif data.get("commune"):
            resolved = selectors.resolve_commune(data["commune"])
            if resolved is None:
                self.add_error("commune", _("Commune inconnue : « %(value)s ».") % {"value": data["commune"]})
                return data
            data["centre"], data["centre_label"] = resolved.point, resolved.label
        if data["centre"] is not None and not data.get("radius"):
            data["radius"] = DEFAULT_RADIUS
        if data.get("radius") and data["centre"] is None:
            self.add_error("commune", _("Indiquez une commune pour chercher dans un rayon."))
        return data

    def criteria(self) -> selectors.OfferCriteria:
        data = self.cleaned_data
        return selectors.OfferCriteria(
            query=data.get("q", ""), activity=data.get("activity", ""), care_mode=data.get("care_mode", ""),
            public=data.get("public", ""), equipment=data.get("equipment", ""),
            specialisation=data.get("specialisation", ""), telehealth=data.get("telehealth", ""),
            departement=data.get("departement", ""), centre=data.get("centre"),
            radius_km=float(data["radius"]) if data.get("radius") and data.get("centre") else None,
            centre_label=data.get("centre_label", ""),
        )

    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1

    @property
    def active_filter_count(self) -> int:
        names = ("activity", "care_mode", "public", "specialisation", "equipment", "telehealth", "departement")
        return sum(1 for name in names if self.data.get(name))


class CapacityForm(forms.Form):
    """One capacity figure of one place, typed by the establishment's staff."""

    place = forms.ChoiceField(label=_("Lieu"))
    capacity_type = forms.ChoiceField(label=_("Nature"))
    status = forms.ChoiceField(label=_("Statut"))
    count = forms.IntegerField(label=_("Nombre"), min_value=0, max_value=100_000)
    updated_at = forms.DateTimeField(
        label=_("Constaté le"), required=False, help_text=_("Laisser vide pour maintenant. Format : JJ/MM/AAAA HH:MM."),
    )

    def __init__(self, *args, places=(), **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [(p.identifier, f"{p.establishment.name} — {p.name}") for p in places]
        self.fields["capacity_type"].choices = selectors.choices("capacity_type")
        self.fields["status"].choices = selectors.choices("capacity_status")
