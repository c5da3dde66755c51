"""The OAuth2 endpoints of connectors: token and revocation, wrapped around DOT's views.

The wrappers add what DOT leaves to the project:
- rate limiting per client id and per IP address (429 with ``Retry-After``);
- a French ``detail`` next to the standard ``error`` code (RFC 6749 §5.2
  restricts ``error_description`` to ASCII, so the French sentence gets its
  own member instead of replacing it);
- only the client-credentials grant on the token endpoint;
- on success, the FINESS of the organisation the token acts for.

Both endpoints are CSRF-exempt (inherited from DOT): they carry no cookie and
authenticate the client by its secret on every call.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model
from oauth2_provider.views import RevokeTokenView, TokenView

from enrs.connectors import ratelimit

log = logging.getLogger(__name__)


def _french_error(code: str) -> str:
    messages = {
        "invalid_request": _("Requête invalide : un paramètre obligatoire manque ou est incorrect."),
        "invalid_client": _("Client refusé : identifiant ou secret incorrect, ou connecteur désactivé."),
        "invalid_grant": _("Autorisation invalide."),
        "unauthorized_client": _("Ce client n'est pas autorisé à utiliser ce type d'autorisation."),
        "unsupported_grant_type": _("Type d'autorisation non pris en charge : seul « client_credentials » est accepté."),
        "invalid_scope": _("Portée inconnue ou non autorisée pour ce connecteur."),
        "unsupported_token_type": _("Type de jeton non pris en charge."),
    }
    return messages.get(code, _("Requête refusée."))


def _oauth_error(code: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": code, "detail": _french_error(code)}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _client_id(request) -> str:
    """The client id the caller claims, from HTTP Basic (preferred) or the form body."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return unquote(decoded.partition(":")[0])
    return request.POST.get("client_id", "")


def _too_many_requests(request) -> JsonResponse | None:
    """Count this attempt against the IP and the client id; a 429 answer when either is over its rate."""
    checks = [("oauth-ip", request.META.get("REMOTE_ADDR", ""), settings.ENRS_OAUTH_RATE_LIMIT_IP)]
    if client_id := _client_id(request):
        checks.append(("oauth-client", client_id, settings.ENRS_OAUTH_RATE_LIMIT_CLIENT))
    waits = [ratelimit.hit(scope, key, ratelimit.Rate.parse(rate)) for scope, key, rate in checks]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is None:
        return None
    log.warning("OAuth2 rate limit hit (ip=%s, client_id=%s)", request.META.get("REMOTE_ADDR"), client_id[:80])
    response = JsonResponse(
        {
            "error": "too_many_requests",
            "detail": _("Trop de tentatives d'authentification. Réessayez dans %(seconds)s secondes.") % {"seconds": wait},
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response


def _with_french_detail(response: HttpResponse) -> HttpResponse:
    """DOT's error answer with a French ``detail`` added; other headers kept."""
    if response.status_code < 400:
        return response
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"error": "invalid_request"}
    body["detail"] = _french_error(body.get("error", ""))
    french = JsonResponse(body, status=response.status_code, json_dumps_params={"ensure_ascii": False})
    for header in ("WWW-Authenticate", "Cache-Control", "Pragma"):
        if header in response:
            french[header] = response[header]
    return french


def _with_organisation(response: HttpResponse) -> HttpResponse:
    """Add the FINESS the token acts for (RFC 6749 §5.1 allows extra members)."""
    body = json.loads(response.content)
    checksum = hashlib.sha256(body["access_token"].encode("utf-8")).hexdigest()
    token = (
        get_access_token_model()
        .objects.select_related("application__connector__organisation")
        .get(token_checksum=checksum)
    )
    body["organisation"] = token.application.connector.organisation.finess
    response.content = json.dumps(body).encode()
    return response


class ConnectorTokenView(TokenView):
    def post(self, request, *args, **kwargs):
        if limited := _too_many_requests(request):
            return limited
        grant_type = request.POST.get("grant_type", "")
        if not grant_type:
            return _oauth_error("invalid_request", 400)
        if grant_type != "client_credentials":
            return _oauth_error("unsupported_grant_type", 400)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:
            return _with_organisation(response)
        return _with_french_detail(response)


class ConnectorRevokeTokenView(RevokeTokenView):
    def post(self, request, *args, **kwargs):
        if limited := _too_many_requests(request):
            return limited
        return _with_french_detail(super().post(request, *args, **kwargs))
