"""Directory search form: one free-text box, three filters and the page, all optional.

The form is always bound to the query string (a plain GET form that htmx
also submits), so an unknown code or a garbage page number typed in the URL
becomes a French field error (HTTP 400) instead of a server error.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enrs.directory import selectors
from enrs.directory.models import Organisation
from enrs.directory.nomenclatures import PROFESSIONS

TYPE_ALL = "tout"
TYPE_PROFESSIONALS = "professionnels"
TYPE_ORGANISATIONS = "structures"
TYPE_CHOICES = [
    (TYPE_ALL, _("Tout")),
    (TYPE_PROFESSIONALS, _("Professionnels")),
    (TYPE_ORGANISATIONS, _("Structures")),
]
MAX_PAGE = 10_000


def _with_blank(choices, blank_label) -> list[tuple[str, str]]:
    return [("", blank_label), *choices]


def _profession_choices() -> list[tuple[str, str]]:
    return sorted(PROFESSIONS.items(), key=lambda item: item[1])


class DirectorySearchForm(forms.Form):
    q = forms.CharField(
        label=_("Nom, commune ou numéro"),
        help_text=_("Par exemple « Lefèvre », « Caen » ou un numéro RPPS ou FINESS. Les accents sont facultatifs."),
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    type = forms.ChoiceField(label=_("Afficher"), choices=TYPE_CHOICES, required=False, widget=forms.RadioSelect)
    profession = forms.ChoiceField(label=_("Profession"), required=False)
    departement = forms.ChoiceField(label=_("Département"), required=False)
    structure = forms.ChoiceField(
        label=_("Type de structure"),
        required=False,
        choices=_with_blank(Organisation.Kind.choices, _("Tous les types")),
    )
    # Not rendered in the form: pagination links carry it, a new search resets it.
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=MAX_PAGE, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["profession"].choices = _with_blank(_profession_choices(), _("Toutes les professions"))
        self.fields["departement"].choices = _with_blank(
            selectors.departement_choices(), _("Tous les départements")
        )

    def clean_type(self) -> str:
        return self.cleaned_data.get("type") or TYPE_ALL

    def clean_q(self) -> str:
        return " ".join((self.cleaned_data.get("q") or "").split())

    def filters(self) -> selectors.DirectoryFilters:
        """The validated criteria; call only after ``is_valid()``."""
        data = self.cleaned_data
        return selectors.DirectoryFilters(
            query=data["q"], profession=data["profession"], departement=data["departement"], kind=data["structure"]
        )

    def active_filter_count(self) -> int:
        """How many filters the query string sets (valid or not), for the collapsed filter panel."""
        return sum(1 for name in ("profession", "departement", "structure") if self.data.get(name))

    def result_type(self) -> str:
        return getattr(self, "cleaned_data", {}).get("type") or TYPE_ALL

    def page_number(self) -> int:
        return getattr(self, "cleaned_data", {}).get("page") or 1
