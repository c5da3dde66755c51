"""Screens of the care offer: TODS search (public and professional), map, detail,
capacity update and the crisis dashboard. Thin: criteria are validated by
``forms``, rows read by ``selectors``, writes done by ``services``.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.offer import maps, selectors, services
from enrs.offer.forms import CapacityForm, OfferSearchForm


def professional_required(view):
    """Logged-in professionals and agency staff (the TODS page serves everyone else)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not selectors.can_search_as_professional(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _url_with(request, **params) -> str:
    query = request.GET.copy()
    for name, value in params.items():
        query.pop(name, None)
        if value is not None:
            query[name] = str(value)
    return f"?{query.urlencode()}"


def _search_context(request, *, public: bool) -> tuple[dict, int]:
    form = OfferSearchForm(request.GET or None)
    context = {"form": form, "public": public, "searched": False, "nav_section": "offer"}
    if form.is_bound and form.is_valid() and not form.criteria().is_empty:
        result = selectors.search(form.criteria(), form.page_number())
        context.update(
            searched=True, result=result,
            prev_url=_url_with(request, page=result.page - 1) if result.page > 1 else "",
            next_url=_url_with(request, page=result.page + 1) if result.page < result.pages else "",
            query_string=request.GET.urlencode(),
        )
    return context, 400 if form.errors else 200


def _render_search(request, template: str, *, public: bool):
    context, status = _search_context(request, public=public)
    if template.endswith("map.html") and context["searched"]:
        context["points"] = maps.project(context["result"].rows, context["result"].criteria.centre)
        context["map_size"] = (maps.WIDTH, maps.HEIGHT)
    return render(request, template, context, status=status)


def public_search(request):
    return _render_search(request, "offer/search.html", public=True)


def public_map(request):
    return _render_search(request, "offer/map.html", public=True)


@professional_required
def search(request):
    return _render_search(request, "offer/search.html", public=False)


@professional_required
def search_map(request):
    return _render_search(request, "offer/map.html", public=False)


def detail(request, pk: int):
    """An offer's public record; how to request tele-expertise is for professionals only."""
    offer = selectors.offer_detail(pk)
    capacity = selectors.capacity_by_place([offer.place_id]).get(offer.place_id) if offer.place_id else None
    context = {
        "offer": offer, "capacity": capacity, "nav_section": "offer",
        "professional": selectors.can_search_as_professional(request.user),
    }
    return render(request, "offer/detail.html", context)


# --- Capacity ----------------------------------------------------------------------------------
@login_required
def capacity(request):
    """The capacity figures of the establishments the user manages, and the form to declare one.

    ``?etablissement=<id>`` chooses which establishment's tables are shown; the
    form accepts any place of a managed establishment (an unknown place is a
    field error, the same answer whether it exists elsewhere or not)."""
    establishments = {e.pk: e for e in selectors.establishments_managed_by(request.user)}
    if not establishments and request.method != "POST":
        raise PermissionDenied
    chosen = _chosen_establishment(request, establishments)
    managed_places = list(selectors.places_of_establishments(list(establishments)))
    form_places = [p for p in managed_places if chosen is None or p.establishment_id == chosen.pk] if request.method != "POST" else managed_places
    form = CapacityForm(request.POST if request.method == "POST" else None, places=form_places)
    status = 200
    if request.method == "POST":
        if form.is_valid() and _store_capacity(request, form, managed_places):
            messages.success(request, _("Capacité enregistrée."))
            place = next(p for p in managed_places if p.identifier == form.cleaned_data["place"])
            return redirect(f"{request.path}?etablissement={place.establishment_id}")
        status = 400
    context = {
        "establishments": sorted(establishments.values(), key=lambda e: e.name), "establishment": chosen, "form": form,
        "places": [(place, selectors.capacities_of(place)) for place in form_places if chosen is not None],
        "stale_before": timezone.now() - services.staleness(), "nav_section": "offer",
    }
    return render(request, "offer/capacity.html", context, status=status)


def _chosen_establishment(request, establishments: dict):
    if len(establishments) == 1:
        return next(iter(establishments.values()))
    raw = request.GET.get("etablissement", "")
    return establishments.get(int(raw)) if raw.isdigit() and len(raw) < 12 else None


def _store_capacity(request, form: CapacityForm, places) -> bool:
    place = next(p for p in places if p.identifier == form.cleaned_data["place"])
    data = {**form.cleaned_data, "source_type": "SAISIE", "updated_at": form.cleaned_data.get("updated_at") or timezone.now()}
    try:
        services.update_capacity(place, data, user=request.user, channel="formulaire")
    except ValidationError as exc:
        for field, items in selectors.validation_messages(exc).items():
            form.add_error(field if field in form.fields else None, items)
        return False
    return True


@login_required
def dashboard(request):
    if not selectors.is_agency(request.user):
        raise PermissionDenied
    rows = selectors.crisis_dashboard()
    context = {
        "rows": rows, "stale": selectors.stale_capacities()[:50], "nav_section": "offer",
        "stale_hours": int(services.staleness().total_seconds() // 3600),
        "totals": {
            "available": sum(r.available for r in rows), "installed": sum(r.installed for r in rows),
            "stale": sum(r.stale for r in rows),
        },
    }
    return render(request, "offer/dashboard.html", context)
