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
from django.utils.translation import gettext_lazy as _lazy
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


def _decide(request, form, *, patients, act, failure: str):
    """Every worklist decision: valid form, update right on each identity, service call, redirect.

    ``act(form)`` calls the service and returns (success message, redirect target, kwargs);
    a ``ValidationError`` from the service is shown on the form (400), nothing stored.
    """
    if form.is_valid():
        _can_update(request, *patients(form))
        try:
            message, target, kwargs = act(form)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, message)
            return redirect(target, **kwargs)
    return _action_error(request, form, failure)


def _trace(request) -> dict:
    return {"actor": request.user, "channel": CHANNEL}


@require_POST
@vigilance_required
def merge(request):
    def act(form):
        survivor, merged = form.pair()
        services.merge_identities(survivor, merged, reason=form.cleaned_data["reason"], **_trace(request))
        return (_("Les deux identités ont été fusionnées ; la fusion peut être annulée."),
                "identity:identity_detail", {"pk": survivor.pk})

    return _decide(request, MergeForm(request.POST), patients=lambda form: form.pair(), act=act,
                   failure=_("La fusion n'a pas été faite"))


@require_POST
@vigilance_required
def dismiss(request):
    def act(form):
        services.dismiss_duplicate(form.duplicate_obj, reason=form.cleaned_data["reason"], **_trace(request))
        return _("Le doublon potentiel a été écarté."), "identity:worklist", {}

    return _decide(request, DuplicateDecisionForm(request.POST), act=act,
                   patients=lambda form: (form.duplicate_obj.patient_a, form.duplicate_obj.patient_b),
                   failure=_("La décision n'a pas été enregistrée"))


@require_POST
@vigilance_required
def unmerge(request):
    def act(form):
        merge_obj: IdentityMerge = form.merge_obj
        services.unmerge(merge_obj, reason=form.cleaned_data["reason"], **_trace(request))
        return (_("La fusion a été annulée : chaque identité a retrouvé ses éléments."),
                "identity:identity_detail", {"pk": merge_obj.merged_id})

    return _decide(request, UnmergeForm(request.POST), act=act,
                   patients=lambda form: (form.merge_obj.survivor, form.merge_obj.merged),
                   failure=_("L'annulation de la fusion n'a pas été faite"))


@require_POST
@vigilance_required
def report_collision(request):
    def act(form):
        services.report_collision(form.patient_obj, description=form.cleaned_data["description"],
                                  source=_("cellule d'identitovigilance"), **_trace(request))
        return _("La collision a été signalée."), "identity:identity_detail", {"pk": form.patient_obj.pk}

    return _decide(request, CollisionForm(request.POST), patients=lambda form: (form.patient_obj,), act=act,
                   failure=_("La collision n'a pas été signalée"))


@require_POST
@vigilance_required
def resolve(request):
    def act(form):
        close = services.resolve_collision if form.cleaned_data["kind"] == "collision" else services.resolve_anomaly
        close(form.item_obj, resolution=form.cleaned_data["resolution"], **_trace(request))
        return _("L'élément a été traité."), "identity:worklist", {}

    return _decide(request, ResolveForm(request.POST), patients=lambda form: (form.item_obj.patient,), act=act,
                   failure=_("L'élément n'a pas été traité"))


_INSI_ANSWERS = {
    "00": _lazy("INSi a trouvé l'identité : matricule et traits INS enregistrés."),
    "01": _lazy("INSi n'a trouvé aucune identité pour ces traits."),
    "02": _lazy("INSi a trouvé plusieurs identités : vérifiez les traits."),
}


@require_POST
@vigilance_required
def call_insi(request):
    def act(form):
        response = services.call_insi(form.patient_obj, **_trace(request))
        return str(_INSI_ANSWERS.get(response.code, response.code)), "identity:identity_detail", {"pk": form.patient_obj.pk}

    return _decide(request, InsiForm(request.POST), patients=lambda form: (form.patient_obj,), act=act,
                   failure=_("L'appel INSi n'a pas été fait"))


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
