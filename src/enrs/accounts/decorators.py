"""``recent_login_required``: ask for the credentials again before a sensitive action.

Usage, on a view that exports, deletes, grants or opens a record by break-glass::

    from enrs.accounts.decorators import recent_login_required

    @login_required
    @recent_login_required(max_age=300)
    def export_record(request, pk): ...

If the last authentication of the session (login or re-authentication) is older
than ``max_age`` seconds, the user is sent to re-authenticate and then brought
back: accounts with a password or a TOTP go through allauth's re-authentication
(password or code; a POST is replayed after it), PSC-only accounts through a new
Pro Santé Connect login (CPS or e-CPS), then the page is shown again.
"""

from __future__ import annotations

import time
from functools import wraps

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.internal.flows.reauthentication import get_reauthentication_flows
from allauth.core.exceptions import ReauthenticationRequired
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from enrs.accounts import services


def seconds_since_last_authentication(request) -> float | None:
    records = get_authentication_records(request, request.user)
    if not records:
        return None
    return time.time() - max(record.get("at", 0) for record in records)


def _psc_reauthentication(request):
    url = reverse("openid_connect_login", kwargs={"provider_id": services.PSC_PROVIDER_ID})
    return redirect(f"{url}?{urlencode({'next': request.get_full_path(), 'auth_params': 'prompt=login'})}")


def recent_login_required(max_age: int = 300):
    """Require an authentication of this session less than ``max_age`` seconds old."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            age = seconds_since_last_authentication(request)
            if age is None or age > max_age:
                if get_reauthentication_flows(request.user):
                    # Handled by allauth's AccountMiddleware: re-authentication page,
                    # then the suspended request is resumed.
                    raise ReauthenticationRequired()
                return _psc_reauthentication(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
