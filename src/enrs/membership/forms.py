"""Forms of the membership screens. The objects a user may pick are limited to
those he may act on (his organisations, his members), so a foreign id is just
"not a valid choice"."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrs.core.models import COLLEGE_CHOICES, Service
from enrs.directory.models import Organisation
from enrs.membership import selectors, tariff_data
from enrs.membership.models import (
    AccountRequest,
    Category,
    Convention,
    Document,
    DocumentKind,
    GeneralAssembly,
    Member,
    Product,
)

QUOTABLE_PRODUCTS = [(p.value, p.label) for p in Product if p not in (Product.CAPITAL, Product.ANNUAL)]
CONSULTING_CHOICES = [("", "—")] + [
    (row[1], row[3]) for row in tariff_data.REFERENCE_TARIFFS if row[0] == "consulting"
]


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        return f"{obj.name} — {obj.get_status_display()}"


def live_members_for(user):
    rows = Member.objects.filter(status__in=Member.ACTIVE_STATUSES).select_related("organisation")
    if not selectors.is_agency_admin(user):
        rows = rows.filter(organisation_id__in=selectors.referent_organisation_ids(user))
    return rows.order_by("name")


class StrictQueryForm(forms.Form):
    """A GET filter form that refuses parameters it does not know (typos never pass silently)."""

    def clean(self):
        cleaned = super().clean()
        unknown = sorted(set(self.data) - set(self.fields))
        if unknown:
            raise ValidationError(_("Paramètre inconnu : %(names)s.") % {"names": ", ".join(unknown)[:200]})
        return cleaned


class CatalogueFilterForm(StrictQueryForm):
    college = forms.ChoiceField(label=_("Collège"), choices=[("", _("Tous"))] + COLLEGE_CHOICES, required=False)
    obtained_by = forms.ChoiceField(
        label=_("Mode d'obtention"), choices=[("", _("Tous"))] + list(Service.Obtained.choices), required=False
    )
    audience = forms.ChoiceField(label=_("Public"), choices=[("", _("Tous"))] + list(Service.Audience.choices), required=False)
    q = forms.CharField(label=_("Mots-clés"), max_length=100, required=False)

    def clean_q(self) -> str:
        value = self.cleaned_data["q"]
        if any(ord(ch) < 32 for ch in value):
            raise ValidationError(_("Les mots-clés contiennent des caractères invalides."))
        return value.strip()


class ApplyForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Structure"), queryset=Organisation.objects.none())
    category = forms.ChoiceField(label=_("Catégorie d'adhérent (collège)"), choices=Category.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if selectors.is_agency_admin(user):
            queryset = Organisation.objects.filter(active=True)
        else:
            queryset = selectors.referent_organisations(user)
        self.fields["organisation"].queryset = queryset.order_by("name")


class AssemblyForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    agenda = forms.CharField(label=_("Ordre du jour"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000)


class DecisionsForm(forms.Form):
    assembly = forms.ModelChoiceField(label=_("Assemblée générale"), queryset=GeneralAssembly.objects.all(), widget=forms.HiddenInput)
    decisions = forms.CharField(label=_("Décisions"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000)


class VoteForm(forms.Form):
    ACTIONS = [
        ("admit", _("Admettre")),
        ("refuse", _("Refuser")),
        ("withdraw", _("Retrait")),
        ("merge", _("Fusion-absorption")),
        ("rename", _("Changement de dénomination")),
    ]
    assembly = forms.ModelChoiceField(label=_("Assemblée générale"), queryset=GeneralAssembly.objects.all(), required=False)
    member = MemberChoiceField(label=_("Adhérent ou demandeur"), queryset=Member.objects.filter(status__in=Member.ACTIVE_STATUSES))
    action = forms.ChoiceField(label=_("Décision"), choices=ACTIONS)
    into = MemberChoiceField(
        label=_("Absorbé par (fusion)"), queryset=Member.objects.filter(status=Member.Status.MEMBER), required=False
    )
    new_name = forms.CharField(label=_("Nouvelle dénomination"), max_length=255, required=False)
    reason = forms.CharField(label=_("Observation"), max_length=1000, required=False)


class QuoteRequestForm(forms.Form):
    member = MemberChoiceField(label=_("Adhérent"), queryset=Member.objects.none())
    product = forms.ChoiceField(label=_("Offre"), choices=QUOTABLE_PRODUCTS)
    quantity = forms.IntegerField(
        label=_("Quantité"), min_value=1, max_value=100000, initial=1,
        help_text=_("Établissements, utilisateurs ou structures (pack, imagerie) ; jours ou heures (conseil) ; envois (editing)."),
    )
    months = forms.IntegerField(label=_("Durée (mois)"), min_value=1, max_value=120, initial=12)
    per = forms.ChoiceField(
        label=_("Tarification (autres membres)"), choices=[("structure", _("par structure")), ("user", _("par utilisateur"))],
        initial="structure",
    )
    role = forms.ChoiceField(label=_("Prestation de conseil"), choices=CONSULTING_CHOICES, required=False)
    unit_price = forms.DecimalField(
        label=_("Prix retenu (tarifs en fourchette)"), max_digits=10, decimal_places=2, min_value=0, required=False
    )
    pages = forms.IntegerField(label=_("Pages par envoi (editing)"), min_value=1, max_value=1000, initial=1)
    years = forms.IntegerField(label=_("Années d'accès (e-m@ge)"), min_value=1, max_value=10, initial=1)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = live_members_for(user)


class ConventionForm(forms.Form):
    member = MemberChoiceField(label=_("Adhérent"), queryset=Member.objects.none())
    model = forms.ChoiceField(label=_("Modèle de convention"), choices=Convention.Model.choices, widget=forms.RadioSelect)
    signatory = forms.CharField(label=_("Signataire (nom et qualité)"), max_length=200)
    nomination_form = forms.BooleanField(label=_("Fiche de nomination des référents de comptes jointe"), required=False)
    referent_charter = forms.BooleanField(label=_("Charte des référents de comptes signée"), required=False)
    liberal_roster = forms.BooleanField(label=_("Fichier des professionnels libéraux éligibles joint"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = live_members_for(user)


class AccountRequestForm(forms.Form):
    member = MemberChoiceField(label=_("Adhérent"), queryset=Member.objects.none())
    first_name = forms.CharField(label=_("Prénom"), max_length=120)
    last_name = forms.CharField(label=_("Nom"), max_length=120)
    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    profession = forms.CharField(label=_("Profession ou fonction"), max_length=120)
    rpps = forms.CharField(label=_("Numéro RPPS (11 chiffres)"), max_length=20, required=False,
                           help_text=_("Le compte est rattaché à la fiche du professionnel dans l'annuaire."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = live_members_for(user)


class AccountDecisionForm(forms.Form):
    request = forms.ModelChoiceField(label=_("Demande"), queryset=AccountRequest.objects.none(), widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("Décision"), choices=[("approve", _("Accepter")), ("refuse", _("Refuser"))])
    reason = forms.CharField(label=_("Motif (obligatoire en cas de refus)"), max_length=1000, required=False)
    rpps = forms.CharField(label=_("Numéro RPPS (si la demande ne le donne pas)"), max_length=20, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request"].queryset = AccountRequest.objects.filter(
            member__organisation_id__in=selectors.referent_organisation_ids(user), status=AccountRequest.Status.PENDING
        )


class DocumentChoiceForm(forms.Form):
    document = forms.ModelChoiceField(label=_("Document"), queryset=Document.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = queryset


class CreditNoteForm(DocumentChoiceForm):
    reason = forms.CharField(label=_("Motif de l'avoir"), max_length=150)


def issued_documents(kinds=(DocumentKind.QUOTE, DocumentKind.CALL)):
    return Document.objects.filter(status=Document.Status.ISSUED, kind__in=kinds)


class ContributionCallForm(forms.Form):
    member = MemberChoiceField(label=_("Adhérent"), queryset=Member.objects.filter(status__in=Member.ACTIVE_STATUSES))
    year = forms.IntegerField(label=_("Exercice"), min_value=2000, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class RegisterFilterForm(StrictQueryForm):
    college = forms.ChoiceField(label=_("Collège"), choices=[("", _("Tous"))] + COLLEGE_CHOICES, required=False)
    page = forms.IntegerField(label=_("Page"), min_value=1, max_value=100000, required=False)


class YearForm(StrictQueryForm):
    year = forms.IntegerField(label=_("Année"), min_value=2000, max_value=2100, required=False)
