"""Session hardening: idle timeout, absolute lifetime, and TOTP enrolment of professionals."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from enrs.accounts import services

# Writing the session on every request would cost a database write per hit;
# a last-seen time precise to the minute is enough for a 30-minute timeout.
LAST_SEEN_RESOLUTION = 60
ACCOUNT_PATH_PREFIX = "/comptes/"


class IdleTimeoutMiddleware:
    """Log out a session idle for ENRS_SESSION_IDLE_TIMEOUT seconds, or older than
    SESSION_COOKIE_AGE (the absolute lifetime, which a sliding session would not enforce)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            expired = self._expiry_message(request.session, time.time())
            if expired:
                logout(request)
                messages.warning(request, expired)
                # After a GET the user comes back where he was; a POST is not replayed.
                return redirect_to_login(request.get_full_path() if request.method == "GET" else "")
        return self.get_response(request)

    def _expiry_message(self, session, now: float) -> str:
        login_at = session.get(services.SESSION_LOGIN_AT)
        last_seen = session.get(services.SESSION_LAST_SEEN)
        if login_at is None or last_seen is None:
            # Logged in outside allauth (Django admin, tests): start counting now.
            session[services.SESSION_LOGIN_AT] = login_at or now
            session[services.SESSION_LAST_SEEN] = now
            return ""
        if now - last_seen > settings.ENRS_SESSION_IDLE_TIMEOUT:
            return _("Votre session a expiré après une période d'inactivité. Veuillez vous reconnecter.")
        if now - login_at > settings.SESSION_COOKIE_AGE:
            return _("Votre session a atteint sa durée maximale. Veuillez vous reconnecter.")
        if now - last_seen >= LAST_SEEN_RESOLUTION:
            session[services.SESSION_LAST_SEEN] = now
        return ""


class ProfessionalMfaMiddleware:
    """Send a professional who logged in by password without a TOTP to activate one
    before anything else (ENRS_REQUIRE_MFA_FOR_PROFESSIONALS)."""

    ALLOWED_URL_NAMES = ("mfa_activate_totp", "mfa_index", "account_logout", "account_reauthenticate")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(services.SESSION_MFA_ENROLMENT) and request.user.is_authenticated:
            if services.has_totp(request.user):
                session.pop(services.SESSION_MFA_ENROLMENT, None)
            elif not self._allowed(request.path):
                messages.info(
                    request,
                    _("Pour protéger les données de santé, activez d'abord la connexion par code à usage unique (TOTP)."),
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _allowed(self, path: str) -> bool:
        if path.startswith(settings.STATIC_URL):
            return True
        return any(path == reverse(name) for name in self.ALLOWED_URL_NAMES)


class PscFormActionMiddleware:
    """Let the pages that start a PSC login submit towards the provider.

    Browsers apply the CSP ``form-action`` directive to the redirects that follow a
    form submission: the POST that starts the login answers with a redirect to the
    PSC authorization endpoint, which ``form-action 'self'`` would block. The same
    holds for the logout of a PSC session, which continues at PSC's end-session
    endpoint from the logout button of every page. So the provider's origin is
    added to the account pages, and to every page of a session opened with PSC,
    and only when PSC is configured.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        origin = psc_origin()
        if origin and (request.path.startswith(ACCOUNT_PATH_PREFIX) or _psc_session(request)):
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [*update.get("form-action", []), origin]
            response._csp_update = update
        return response



def _psc_session(request) -> bool:
    session = getattr(request, "session", None)
    return session is not None and session.get(services.SESSION_METHOD) == "psc"


def psc_origin() -> str:
    """scheme://host[:port] of the configured PSC issuer, or ""."""
    for app in settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", []):
        if app.get("provider_id") == services.PSC_PROVIDER_ID:
            parts = urlsplit(app.get("settings", {}).get("server_url", ""))
            return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return ""
