"""The JSON API (django-ninja): one NinjaAPI, one router per service app."""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from enrs.directory.api import router as directory_router
from enrs.observatory.api import router as observatory_router
from enrs.offer.api import router as offer_router

api = NinjaAPI(
    title="ENRS API",
    version="1",
    description="API JSON de l'Espace Numérique Régional de Santé",
    urls_namespace="api",
)


def _french_message(error: dict) -> str:
    """A French sentence for a pydantic error type (pydantic only speaks English)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("Ce champ est obligatoire.")
    if kind == "string_too_short":
        return _("Ce champ ne peut pas être vide.") if ctx.get("min_length") == 1 else _("Valeur trop courte.")
    if kind == "string_too_long":
        return _("Valeur trop longue (%(max)s caractères au plus).") % {"max": ctx.get("max_length", "?")}
    if kind.startswith(("int_", "decimal_", "float_")):
        return _("Un nombre est attendu.")
    if kind.startswith(("date", "datetime")):
        return _("Une date au format AAAA-MM-JJ est attendue.")
    if kind in {"string_type", "model_attributes_type", "dict_type", "list_type", "bool_type", "bool_parsing"}:
        return _("Type de valeur incorrect.")
    if kind == "json_invalid":
        return _("Le corps de la requête n'est pas du JSON valide.")
    return _("Valeur invalide.")


def _field_path(error: dict) -> str:
    return ".".join(str(part) for part in error.get("loc", []) if part not in {"body", "query", "path", "payload"})


@api.exception_handler(ValidationError)
def french_validation_error(request, exc: ValidationError):
    """Name every wrong field in French instead of pydantic's English messages."""
    errors = [{"champ": _field_path(err), "message": _french_message(err), "type": err.get("type", "")} for err in exc.errors]
    return api.create_response(request, {"detail": _("Données invalides."), "erreurs": errors}, status=422)


@api.exception_handler(AuthenticationError)
def french_authentication_error(request, exc):
    return api.create_response(request, {"detail": _("Authentification requise.")}, status=401)


@api.exception_handler(AuthorizationError)
def french_authorization_error(request, exc):
    return api.create_response(request, {"detail": _("Accès refusé.")}, status=403)


@api.exception_handler(Http404)
def french_not_found(request, exc):
    return api.create_response(request, {"detail": _("Ressource introuvable.")}, status=404)


@api.exception_handler(HttpError)
def french_http_error(request, exc: HttpError):
    messages = {400: _("Requête mal formée : le corps de la requête est illisible."), 405: _("Méthode non autorisée.")}
    return api.create_response(request, {"detail": messages.get(exc.status_code, str(exc))}, status=exc.status_code)


api.add_router("/annuaire/", directory_router)
api.add_router("/offre/", offer_router)
api.add_router("/observatoire/", observatory_router)
