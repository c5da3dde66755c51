"""Habilitation screens: break-glass search and opening, the patient identity page, the patient's oppositions.

Every screen that shows a patient goes through ``enrs.core.permissions.require``,
which also writes the access trail.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from enrs.access import selectors, services
from enrs.access.forms import BreakGlassForm, ConsentForm, PatientSearchForm
from enrs.access.models import Role
from enrs.core import permissions
from enrs.identity.models import Patient

MAX_RESULTS = 10


def care_role_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not selectors.has_role(request.user, *selectors.CARE_ROLES):
            raise PermissionDenied(_("L'accès en urgence est réservé aux professionnels et aux coordinateurs."))
        return view(request, *args, **kwargs)

    return wrapper


@care_role_required
def break_glass_search(request):
    form = PatientSearchForm(request.GET or None)
    rows = []
    if form.is_bound and form.is_valid():
        for patient in selectors.find_patients_exactly(**form.cleaned_data)[:MAX_RESULTS]:
            permissions.require(request.user, "search", patient, channel="web", request=request)
            reachable = permissions.can(request.user, "read", patient)
            initial = {**form.cleaned_data, "patient": patient.pk}
            rows.append({"patient": patient, "reachable": reachable, "form": BreakGlassForm(initial=initial)})
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "access/break_glass_search.html", {"form": form, "rows": rows}, status=status)


@require_POST
@care_role_required
def break_glass_open(request):
    form = BreakGlassForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.break_glass(request.user, form.patient_obj, form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except PermissionDenied as exc:
            # Shown on the form (the generic 403 page would hide why): the patient opposed break-glass.
            form.add_error(None, str(exc))
            status = 403
        else:
            hours = int(services.BREAK_GLASS_DURATION.total_seconds() // 3600)
            messages.warning(
                request,
                _("Accès en urgence ouvert pour %(hours)s heures. Le patient et son équipe de soins sont prévenus.")
                % {"hours": hours},
            )
            return redirect("access:patient_identity", pk=form.patient_obj.pk)
    return render(request, "access/break_glass_open.html", {"form": form}, status=status)


@login_required
def patient_identity(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    permissions.require(request.user, "read", patient, channel="web", request=request)
    is_care_role = selectors.has_role(request.user, *selectors.CARE_ROLES)
    context = {
        "patient": patient,
        "care_team": selectors.care_team(patient),
        "emergency": selectors.active_break_glass(request.user, patient) if is_care_role else None,
        "consent": selectors.consent_of(patient),
    }
    return render(request, "access/patient_identity.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def my_consent(request):
    if not selectors.has_role(request.user, Role.PATIENT):
        raise PermissionDenied(_("Cette page est réservée aux patients."))
    patient = selectors.patient_of_user(request.user)
    if patient is None:
        raise Http404(_("Votre compte n'est pas encore rattaché à un dossier patient."))
    consent = selectors.consent_of(patient)
    initial = {
        "opposes_sharing": "oui" if consent.opposes_sharing else "non",
        "opposes_break_glass": "oui" if consent.opposes_break_glass else "non",
    }
    form = ConsentForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            services.set_consent(patient, by=request.user, request=request, **form.cleaned_data)
            messages.success(request, _("Vos choix ont été enregistrés."))
            return redirect("access:my_consent")
        return render(request, "access/my_consent.html", {"form": form, "patient": patient}, status=400)
    return render(request, "access/my_consent.html", {"form": form, "patient": patient})
