"""Health probes and the error pages (French, never a bare 500)."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    """Liveness: the process answers. Does not touch dependencies."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Readiness: the database (and cache) answer; 503 otherwise."""
    checks: dict[str, str] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not ready"
        logger.warning("readyz: database unavailable: %s", exc)
        checks["database"] = "error"
        healthy = False
    try:
        cache.set("enrs:readyz", "1", 5)
        checks["cache"] = "ok" if cache.get("enrs:readyz") == "1" else "error"
    except Exception as exc:
        logger.warning("readyz: cache unavailable: %s", exc)
        checks["cache"] = "error"
    healthy = healthy and checks["cache"] == "ok"
    return JsonResponse({"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503)


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "json" in request.headers.get("Accept", "")


def _error(request, status: int, title: str, message: str):
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "error.html", {"status": status, "title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, _("Requête invalide"), _("La requête est mal formée."))


def permission_denied(request, exception=None):
    return _error(request, 403, _("Accès refusé"), _("Vous n'avez pas accès à cette page."))


def page_not_found(request, exception=None):
    return _error(request, 404, _("Page introuvable"), _("La page demandée n'existe pas."))


def server_error(request):
    return _error(
        request, 500, _("Erreur interne"), _("Une erreur inattendue s'est produite. L'équipe technique est prévenue.")
    )
