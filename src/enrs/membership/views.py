"""Membership screens: thin views over ``services`` and ``selectors``.

Who may do what: the public reads the catalogue and the tariffs; an
organisation's account referent applies, requests quotes, signs the convention
and handles account requests for his organisation; agency administrators keep
the register, the general assemblies, contribution calls, credit notes and the
activity figures. Pages about one member or document answer 404 to anyone else.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enrs.core.forms import add_service_errors
from enrs.membership import account_requests, documents, forms, selectors, services
from enrs.membership.models import Document, DocumentKind, GeneralAssembly, Member

REGISTER_PAGE_SIZE = 50


def agency_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not selectors.is_agency_admin(request.user):
            raise PermissionDenied(_("Cet écran est réservé aux administrateurs de l'agence."))
        return view(request, *args, **kwargs)

    return wrapper


def _member_for(user, pk: int) -> Member:
    member = get_object_or_404(Member.objects.select_related("organisation"), pk=pk)
    if not selectors.can_act_for(user, member):
        raise Http404
    return member


def _document_for(user, pk: int) -> Document:
    document = get_object_or_404(Document.objects.select_related("member", "member__organisation"), pk=pk)
    if not document.is_issued or not selectors.can_act_for(user, document.member):
        raise Http404
    return document


# --- Public: catalogue and tariffs ------------------------------------------------------------
@require_GET
def catalogue(request):
    form = forms.CatalogueFilterForm(request.GET or None)
    rows, status = [], 200
    if not form.is_bound or form.is_valid():
        filters = selectors.CatalogueFilters(**form.cleaned_data) if form.is_bound else selectors.CatalogueFilters()
        rows = list(selectors.catalogue(filters))
    else:
        status = 400
    return render(request, "membership/catalogue.html", {"form": form, "services": rows}, status=status)


@require_GET
def tariffs(request):
    today = timezone.localdate()
    return render(request, "membership/tariffs.html", {"tariffs": selectors.tariffs_in_force(today), "today": today})


# --- Home of the membership space --------------------------------------------------------------
@login_required
def home(request):
    user = request.user
    context = {
        "is_agency": selectors.is_agency_admin(user),
        "members": selectors.members_of_user(user),
        "can_apply": selectors.is_agency_admin(user) or bool(selectors.referent_organisation_ids(user)),
    }
    if context["is_agency"]:
        context["pending"] = selectors.pending_applications()
    return render(request, "membership/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def apply(request):
    form = forms.ApplyForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.apply(form.cleaned_data["organisation"], category=form.cleaned_data["category"], applied_by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Demande d'adhésion enregistrée : les services du pack adhérent sont ouverts dès maintenant."))
            return redirect("membership:member", pk=member.pk)
    status = 400 if form.errors else 200
    return render(request, "membership/apply.html", {"form": form}, status=status)


@login_required
def member_detail(request, pk: int):
    member = _member_for(request.user, pk)
    user = request.user
    initial = {"member": member.pk}
    context = {
        "member": member,
        "history": selectors.history(member),
        "documents": selectors.documents_of(member),
        "conventions": member.conventions.all(),
        "orders": member.orders.select_related("quote"),
        "account_requests": member.account_requests.all(),
        "is_agency": selectors.is_agency_admin(user),
        "is_referent": selectors.is_account_referent(user, member.organisation_id),
        "quote_form": forms.QuoteRequestForm(initial=initial, user=user),
        "convention_form": forms.ConventionForm(initial=initial, user=user),
        "account_form": forms.AccountRequestForm(initial=initial, user=user),
        "call_form": forms.ContributionCallForm(initial=initial),
    }
    return render(request, "membership/member.html", context)


def _post_form(request, form, action, template: str, context: dict | None = None):
    """Validate ``form``, run ``action(cleaned_data)``; re-render with French errors (400) on refusal."""
    if form.is_valid():
        try:
            return action(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(request, template, {"form": form, **(context or {})}, status=400)


# --- Referent (or agency) actions --------------------------------------------------------------
@login_required
@require_POST
def quote_request(request):
    form = forms.QuoteRequestForm(request.POST, user=request.user)

    def action(data):
        item = services.Item(
            product=data["product"], quantity=data["quantity"], months=data["months"], per=data["per"],
            role=data.get("role") or "", pages=data["pages"], years=data["years"], unit_price=data.get("unit_price"),
        )
        quote = services.request_quote(data["member"], [item], by=request.user)
        messages.success(request, _("Devis %(number)s établi.") % {"number": quote.number})
        return redirect("membership:document", pk=quote.pk)

    return _post_form(request, form, action, "membership/form_page.html", {"title": _("Demande de devis")})


@login_required
@require_POST
def convention_sign(request):
    form = forms.ConventionForm(request.POST, user=request.user)

    def action(data):
        member = data.pop("member")
        services.sign_convention(member, by=request.user, **data)
        messages.success(request, _("Convention enregistrée."))
        return redirect("membership:member", pk=member.pk)

    return _post_form(request, form, action, "membership/form_page.html", {"title": _("Convention de mise à disposition")})


@login_required
@require_POST
def account_request(request):
    form = forms.AccountRequestForm(request.POST, user=request.user)

    def action(data):
        member = data.pop("member")
        account_requests.request_account(member, by=request.user, **data)
        messages.success(request, _("Demande d'ouverture de compte enregistrée."))
        return redirect("membership:member", pk=member.pk)

    return _post_form(request, form, action, "membership/form_page.html", {"title": _("Demande d'ouverture de compte")})


@login_required
@require_POST
def account_decide(request):
    form = forms.AccountDecisionForm(request.POST, user=request.user)

    def action(data):
        handled = account_requests.decide_account_request(
            data["request"], approve=data["decision"] == "approve", by=request.user, reason=data["reason"], rpps=data["rpps"]
        )
        if handled.account_id:
            messages.success(request, _("Compte ouvert pour %(email)s : une invitation à choisir son mot de passe lui est envoyée par e-mail.")
                             % {"email": handled.email})
        else:
            messages.success(request, _("Demande traitée : %(status)s.") % {"status": handled.get_status_display()})
        return redirect("membership:member", pk=handled.member_id)

    return _post_form(request, form, action, "membership/form_page.html", {"title": _("Demande d'ouverture de compte")})


@login_required
@require_POST
def order_quote(request):
    queryset = forms.issued_documents([DocumentKind.QUOTE]).filter(member__in=forms.live_members_for(request.user))
    form = forms.DocumentChoiceForm(request.POST, queryset=queryset)

    def action(data):
        services.order_quote(data["document"], by=request.user)
        messages.success(request, _("Commande enregistrée."))
        return redirect("membership:member", pk=data["document"].member_id)

    return _post_form(request, form, action, "membership/form_page.html", {"title": _("Commander un devis")})


# --- Documents -----------------------------------------------------------------------------------
@login_required
def document_detail(request, pk: int):
    document = _document_for(request.user, pk)
    context = {
        "document": document,
        "lines": selectors.document_lines(document),
        "is_agency": selectors.is_agency_admin(request.user),
        "can_order": document.kind == DocumentKind.QUOTE and not document.orders.exists() and not document.credit_notes.exists(),
        "credit_form": forms.CreditNoteForm(initial={"document": document.pk}, queryset=Document.objects.none()),
    }
    return render(request, "membership/document.html", context)


@login_required
def document_pdf(request, pk: int):
    document = _document_for(request.user, pk)
    response = HttpResponse(documents.render_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
    return response


@agency_required
@require_POST
def credit_note(request):
    form = forms.CreditNoteForm(request.POST, queryset=forms.issued_documents())

    def action(data):
        credit = services.credit_note(data["document"], reason=data["reason"], by=request.user)
        messages.success(request, _("Avoir %(number)s établi.") % {"number": credit.number})
        return redirect("membership:document", pk=credit.pk)

    return _post_form(request, form, action, "membership/form_page.html", {"title": _("Avoir")})


@agency_required
@require_POST
def contribution_call(request):
    form = forms.ContributionCallForm(request.POST)

    def action(data):
        call = services.issue_contribution_call(data["member"], data["year"], by=request.user)
        if call is None:
            messages.info(request, _("Aucun montant n'est dû : aucun appel émis."))
            return redirect("membership:member", pk=data["member"].pk)
        messages.success(request, _("Appel de contribution %(number)s émis.") % {"number": call.number})
        return redirect("membership:document", pk=call.pk)

    return _post_form(request, form, action, "membership/form_page.html", {"title": _("Appel de contribution")})


# --- Agency: register, assemblies, report -------------------------------------------------------
@agency_required
@require_GET
def register(request):
    form = forms.RegisterFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "membership/register.html", {"form": form}, status=400)
    data = form.cleaned_data if form.is_bound else {}
    page = Paginator(selectors.register(college=data.get("college") or ""), REGISTER_PAGE_SIZE).get_page(data.get("page") or 1)
    counts = selectors.counts_by_college(timezone.localdate())
    context = {"form": form, "page": page, "counts": counts, "total": sum(counts.values()),
               "pending": selectors.pending_applications()}
    return render(request, "membership/register.html", context)


@agency_required
@require_http_methods(["GET", "POST"])
def assemblies(request):
    form = forms.AssemblyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            assembly = services.create_assembly(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Assemblée générale enregistrée."))
            return redirect("membership:assembly", pk=assembly.pk)
    status = 400 if form.errors else 200
    return render(request, "membership/assemblies.html", {"form": form, "assemblies": selectors.assemblies()}, status=status)


@agency_required
def assembly_detail(request, pk: int):
    assembly = get_object_or_404(GeneralAssembly, pk=pk)
    context = {
        "assembly": assembly,
        "movements": selectors.assembly_movements(assembly),
        "pending": selectors.pending_applications(),
        "vote_form": forms.VoteForm(initial={"assembly": assembly.pk}),
        "decisions_form": forms.DecisionsForm(initial={"assembly": assembly.pk, "decisions": assembly.decisions}),
    }
    return render(request, "membership/assembly.html", context)


@agency_required
@require_POST
def vote(request):
    form = forms.VoteForm(request.POST)

    def action(data):
        member, assembly, by = data["member"], data["assembly"], request.user
        match data["action"]:
            case "admit":
                services.admit(member, assembly, by=by)
            case "refuse":
                services.refuse(member, assembly, reason=data["reason"], by=by)
            case "withdraw":
                services.withdraw(member, assembly, reason=data["reason"], by=by)
            case "merge":
                if data["into"] is None:
                    raise ValidationError({"into": [_("Choisissez l'adhérent absorbant.")]})
                services.merge(member, data["into"], assembly, new_name=data["new_name"], by=by)
            case "rename":
                services.rename(member, data["new_name"], on=assembly.date if assembly else None, by=by, assembly=assembly)
        messages.success(request, _("Décision enregistrée pour %(name)s.") % {"name": member.name})
        return redirect(reverse("membership:assembly", args=[assembly.pk]) if assembly else reverse("membership:register"))

    return _post_form(request, form, action, "membership/form_page.html", {"title": _("Décision d'assemblée générale")})


@agency_required
@require_POST
def record_decisions(request):
    form = forms.DecisionsForm(request.POST)

    def action(data):
        services.record_decisions(data["assembly"], data["decisions"])
        messages.success(request, _("Décisions enregistrées."))
        return redirect("membership:assembly", pk=data["assembly"].pk)

    return _post_form(request, form, action, "membership/form_page.html", {"title": _("Décisions")})


@agency_required
@require_GET
def report(request):
    form = forms.YearForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "membership/report.html", {"form": form}, status=400)
    year = (form.cleaned_data.get("year") if form.is_bound else None) or timezone.localdate().year
    return render(request, "membership/report.html", {"form": form, "figures": selectors.year_figures(year)})


