"""Identity-vigilance screens: worklists, comparison and merge, identity page, search.

Reserved to users with identity duties (``rules.has_identity_duties``: the
identity-vigilance officers and agency administrators of ``enrs.access``).
Every identity shown goes through ``permissions.require`` (access trail);
writes go through ``services``, which trace the decision (identity history +
access trail). Thin views: forms validate, services decide.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from enrs.core import audit, permissions
from enrs.identity import cog, rules, selectors, services
from enrs.identity.forms import (
    CollisionForm,
    DuplicateDecisionForm,
    InsiForm,
    MergeForm,
    ResolveForm,
    SearchForm,
    UnmergeForm,
    WorklistForm,
)
from enrs.identity.models import IdentityMerge, Patient, PotentialDuplicate

PAGE_SIZE = 25
CHANNEL = "web"


def vigilance_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not rules.has_identity_duties(request.user):
            raise PermissionDenied(_("Cet écran est réservé à la cellule d'identitovigilance."))
        return view(request, *args, **kwargs)

    return wrapper


def _trail_list(request, object_type: str) -> None:
    basis = rules.vigilance_basis(request.user)
    audit.record(actor=request.user, action="search", channel=CHANNEL, object_type=object_type,
                 role=basis.role if basis else "", organisation_id=basis.organisation_id if basis else None,
                 request=request)


def _read(request, patient: Patient) -> Patient:
    permissions.require(request.user, "read", patient, channel=CHANNEL, request=request)
    return patient


def _can_update(request, *patients: Patient) -> None:
    for patient in patients:
        if not permissions.can(request.user, "update", patient):
            raise PermissionDenied(_("Vous ne pouvez pas modifier cette identité."))


def _action_error(request, form, title: str):
    return render(request, "identity/action_error.html", {"form": form, "title": title}, status=400)


# --- Worklists ---------------------------------------------------------------------------------
@require_GET
@vigilance_required
def worklist(request):
    form = WorklistForm(request.GET)
    context = {"form": form, "counts": None}
    if not form.is_valid():
        return render(request, "identity/worklist.html", context, status=400)
    page = Paginator(selectors.open_duplicates(), PAGE_SIZE).get_page(form.page_number())
    _trail_list(request, "identity.PotentialDuplicate")
    context.update(
        counts=selectors.worklist_counts(),
        duplicates=page,
        collisions=selectors.open_collisions()[:PAGE_SIZE],
        anomalies=selectors.open_anomalies()[:PAGE_SIZE],
    )
    return render(request, "identity/worklist.html", context)


def _facts(patient: Patient) -> list[tuple[str, str]]:
    place = patient.birth_place_insee
    return [
        (_("Nom de naissance"), patient.birth_name),
        (_("Prénoms de naissance"), patient.birth_first_names),
        (_("Date de naissance"), patient.birth_date_display),
        (_("Sexe"), patient.get_sex_display()),
        (_("Lieu de naissance"), f"{place} {cog.place_name(place)}".strip()),
        (_("Nom utilisé"), patient.used_name),
        (_("Prénom utilisé"), patient.used_first_name),
        (_("Matricule INS"), patient.ins_matricule),
        (_("Statut"), patient.get_identity_status_display()),
    ]


@require_GET
@vigilance_required
def duplicate(request, pk: int):
    pair = get_object_or_404(PotentialDuplicate.objects.select_related("patient_a", "patient_b"), pk=pk)
    permissions.require(request.user, "read", pair, channel=CHANNEL, request=request)
    a, b = _read(request, pair.patient_a), _read(request, pair.patient_b)
    rows = [
        {"label": label, "a": value_a, "b": value_b, "differs": value_a != value_b}
        for (label, value_a), (_label, value_b) in zip(_facts(a), _facts(b))
    ]
    context = {
        "pair": pair, "a": a, "b": b, "rows": rows,
        "ids_a": selectors.local_ids_of(a), "ids_b": selectors.local_ids_of(b),
        "merge_form": MergeForm(initial={"duplicate": pair.pk}),
        "dismiss_form": DuplicateDecisionForm(initial={"duplicate": pair.pk}),
    }
    return render(request, "identity/compare.html", context)


@require_POST
@vigilance_required
def merge(request):
    form = MergeForm(request.POST)
    if form.is_valid():
        survivor, merged = form.pair()
        _can_update(request, survivor, merged)
        try:
            services.merge_identities(survivor, merged, actor=request.user, channel=CHANNEL,
                                      reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Les deux identités ont été fusionnées ; la fusion peut être annulée."))
            return redirect("identity:identity_detail", pk=survivor.pk)
    return _action_error(request, form, _("La fusion n'a pas été faite"))


@require_POST
@vigilance_required
def dismiss(request):
    form = DuplicateDecisionForm(request.POST)
    if form.is_valid():
        pair = form.duplicate_obj
        _can_update(request, pair.patient_a, pair.patient_b)
        try:
            services.dismiss_duplicate(pair, actor=request.user, channel=CHANNEL, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Le doublon potentiel a été écarté."))
            return redirect("identity:worklist")
    return _action_error(request, form, _("La décision n'a pas été enregistrée"))


@require_POST
@vigilance_required
def unmerge(request):
    form = UnmergeForm(request.POST)
    if form.is_valid():
        merge_obj: IdentityMerge = form.merge_obj
        _can_update(request, merge_obj.survivor, merge_obj.merged)
        try:
            services.unmerge(merge_obj, actor=request.user, channel=CHANNEL, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("La fusion a été annulée : chaque identité a retrouvé ses éléments."))
            return redirect("identity:identity_detail", pk=merge_obj.merged_id)
    return _action_error(request, form, _("L'annulation de la fusion n'a pas été faite"))


@require_POST
@vigilance_required
def report_collision(request):
    form = CollisionForm(request.POST)
    if form.is_valid():
        _can_update(request, form.patient_obj)
        services.report_collision(form.patient_obj, actor=request.user, channel=CHANNEL,
                                  description=form.cleaned_data["description"], source=_("cellule d'identitovigilance"))
        messages.success(request, _("La collision a été signalée."))
        return redirect("identity:identity_detail", pk=form.patient_obj.pk)
    return _action_error(request, form, _("La collision n'a pas été signalée"))


@require_POST
@vigilance_required
def resolve(request):
    form = ResolveForm(request.POST)
    if form.is_valid():
        item = form.item_obj
        _can_update(request, item.patient)
        close = services.resolve_collision if form.cleaned_data["kind"] == "collision" else services.resolve_anomaly
        try:
            close(item, actor=request.user, channel=CHANNEL, resolution=form.cleaned_data["resolution"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("L'élément a été traité."))
            return redirect("identity:worklist")
    return _action_error(request, form, _("L'élément n'a pas été traité"))


@require_POST
@vigilance_required
def call_insi(request):
    form = InsiForm(request.POST)
    if form.is_valid():
        _can_update(request, form.patient_obj)
        try:
            response = services.call_insi(form.patient_obj, actor=request.user, channel=CHANNEL)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            labels = {"00": _("INSi a trouvé l'identité : matricule et traits INS enregistrés."),
                      "01": _("INSi n'a trouvé aucune identité pour ces traits."),
                      "02": _("INSi a trouvé plusieurs identités : vérifiez les traits.")}
            messages.success(request, labels.get(response.code, response.code))
            return redirect("identity:identity_detail", pk=form.patient_obj.pk)
    return _action_error(request, form, _("L'appel INSi n'a pas été fait"))


# --- Identity page and search ----------------------------------------------------------------------
@require_GET
@vigilance_required
def identity_detail(request, pk: int):
    patient = _read(request, get_object_or_404(Patient, pk=pk))
    merges = list(selectors.merges_of(patient))
    context = {
        "patient": patient,
        "facts": _facts(patient),
        "place_name": cog.place_name(patient.birth_place_insee),
        "local_ids": selectors.local_ids_of(patient),
        "history": selectors.history_of(patient)[:100],
        "merges": [{"merge": m, "form": UnmergeForm(initial={"merge": m.pk})} for m in merges],
        "duplicates": selectors.open_duplicates_of(patient),
        "survivor": selectors.surviving(patient) if patient.is_merged else None,
        "collision_form": CollisionForm(initial={"patient": patient.pk}),
        "insi_form": InsiForm(initial={"patient": patient.pk}),
    }
    return render(request, "identity/identity_detail.html", context)


@require_GET
@vigilance_required
def search(request):
    form = SearchForm(request.GET or None)
    results: list[Patient] = []
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data.get("authority") and data.get("value"):
            found = selectors.find_by_local_id(data["authority"], data["value"])
            results = [found] if found else []
        else:
            results = list(selectors.search_identities(birth_name=data.get("birth_name", ""),
                                                       birth_date=data.get("birth_date"), ins=data.get("ins", ""))[:20])
        _trail_list(request, "identity.Patient")
        results = [p for p in results if permissions.can(request.user, "search", p)]
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "identity/search.html", {"form": form, "results": results}, status=status)
