"""Portal screens: the public landing page and the two access points.

``home`` is where every login lands (LOGIN_REDIRECT_URL): it sends each kind
of account to its own space. The spaces refuse the other kind with a 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from enrs.portal import selectors


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
        },
    )


@_space_required(selectors.can_open_patient_space)
def patient_home(request):
    return render(
        request,
        "portal/patient_home.html",
        {
            "nav_section": "home",
            "patient": selectors.patient_of_user(request.user),
            "tiles": selectors.patient_tiles(),
        },
    )
