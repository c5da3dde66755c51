"""The JSON API (django-ninja): one NinjaAPI, one router per service app."""

from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from enrs.directory.api import router as directory_router

api = NinjaAPI(
    title="ENRS API",
    version="1",
    description="API JSON de l'Espace Numérique Régional de Santé",
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def french_validation_error(request, exc: ValidationError):
    """Name every wrong field in French instead of pydantic's English messages."""
    errors = [
        {
            "champ": ".".join(str(part) for part in err.get("loc", []) if part not in {"body", "query", "path", "payload"}),
            "message": _("Valeur invalide ou manquante."),
            "type": err.get("type", ""),
        }
        for err in exc.errors
    ]
    return api.create_response(request, {"detail": _("Données invalides."), "erreurs": errors}, status=422)


@api.exception_handler(AuthenticationError)
def french_authentication_error(request, exc):
    return api.create_response(request, {"detail": _("Authentification requise.")}, status=401)


api.add_router("/annuaire/", directory_router)
