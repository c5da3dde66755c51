"""Portal screens: the public landing page and the two access points.

``home`` is where every login lands (LOGIN_REDIRECT_URL): it sends each kind
of account to its own space. The spaces refuse the other kind with a 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from enrs.core import audit, notifications
from enrs.identity import rules as identity_rules
from enrs.portal import selectors
from enrs.portal.forms import AccessHistoryForm, MarkNotificationsReadForm


def _space_required(may_open):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not may_open(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def landing(request):
    return render(request, "portal/landing.html", {})


@login_required
def home(request):
    if selectors.can_open_patient_space(request.user):
        return redirect("portal:patient_home")
    if selectors.can_open_pro_space(request.user):
        return redirect("portal:pro_home")
    raise PermissionDenied


@_space_required(selectors.can_open_pro_space)
def pro_home(request):
    context = selectors.professional_context(request.user)
    return render(
        request,
        "portal/pro_home.html",
        {
            "nav_section": "home",
            "professional": context.professional,
            "organisations": context.organisations,
            "tiles": selectors.professional_tiles(request.user, context.organisations),
            "is_agency": selectors.is_agency(request.user),
            "identity_duties": identity_rules.has_identity_duties(request.user),  # link to identity vigilance
        },
    )


def _record_own_access(request, patient, object_type: str) -> None:
    """The patient reading his own data is traced too, so the trail is complete."""
    audit.record(
        actor=request.user,
        action="read",
        channel="web",
        patient_id=patient.pk,
        object_type=object_type,
        object_id=str(patient.pk),
        role="patient",
        request=request,
    )


@_space_required(selectors.can_open_patient_space)
def patient_home(request):
    patient = selectors.patient_of_user(request.user)
    if patient is not None:
        _record_own_access(request, patient, "identity.Patient")
    return render(
        request,
        "portal/patient_home.html",
        {
            "nav_section": "home",
            "patient": patient,
            "tiles": selectors.patient_tiles(),
        },
    )


@_space_required(selectors.can_open_patient_space)
def access_history(request):
    """« Qui a consulté mon dossier » : the patient's own trail, newest first."""
    form = AccessHistoryForm(request.GET)
    patient = selectors.patient_of_user(request.user)
    context = {"nav_section": "access_history", "form": form, "patient": patient, "rows": [], "page": None}
    if not form.is_valid():
        return render(request, "portal/access_history.html", context, status=400)
    if patient is not None:
        page = Paginator(audit.events_for_patient(patient.pk), selectors.ACCESS_HISTORY_PAGE_SIZE).get_page(
            form.page_number()
        )
        context.update(page=page, rows=selectors.access_history_rows(page.object_list, request.user))
        # Recorded after the query, so the patient sees the trail as it was when he asked.
        _record_own_access(request, patient, "core.AccessEvent")
    return render(request, "portal/access_history.html", context)


NOTIFICATIONS_PAGE_SIZE = 30


@login_required
def notification_list(request):
    """« Mes notifications » for every kind of account, newest first."""
    form = AccessHistoryForm(request.GET)  # same single ``page`` parameter
    if not form.is_valid():
        return render(request, "portal/notifications.html", {"form": form, "page": None}, status=400)
    page = Paginator(notifications.for_user(request.user), NOTIFICATIONS_PAGE_SIZE).get_page(form.page_number())
    return render(request, "portal/notifications.html", {"form": form, "page": page, "nav_section": "notifications"})


@require_POST
@login_required
def notifications_mark_read(request):
    form = MarkNotificationsReadForm(request.POST)
    if not form.is_valid():
        page = Paginator(notifications.for_user(request.user), NOTIFICATIONS_PAGE_SIZE).get_page(1)
        return render(request, "portal/notifications.html", {"form": form, "page": page}, status=400)
    notifications.mark_read(request.user, form.ids())
    return redirect("portal:notifications")
