"""Serialising resources: content negotiation, the JSON response, the base URL."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from fhir.resources.R4B.resource import Resource

from enrs.fhir.constants import FHIR_JSON_CONTENT_TYPE
from enrs.fhir.errors import FhirError, Issue, operation_outcome

JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir", "text/json"}
XML_FORMATS = {"xml", "text/xml", "application/xml", "application/fhir+xml", "application/xml+fhir"}
_ACCEPTABLE_MEDIA = {"application/fhir+json", "application/json", "application/json+fhir", "application/*", "*/*", "text/json"}


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _accepts_json(header: str) -> bool:
    """True when the Accept header allows one of our JSON types (or anything)."""
    for item in header.split(","):
        media, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            key, _sep, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.lower() in _ACCEPTABLE_MEDIA and quality > 0:
            return True
    return False


def negotiate(request: HttpRequest, format_values: list[str]) -> None:
    """Refuse (406) any representation but JSON; ``_format`` wins over Accept."""
    if format_values:
        wanted = _media_type(format_values[-1])
        if wanted in JSON_FORMATS:
            return
        if wanted in XML_FORMATS:
            raise FhirError.not_acceptable(_("Le format XML n'est pas pris en charge : ce serveur ne répond qu'en JSON (application/fhir+json)."))
        raise FhirError.not_acceptable(
            _("Format « %(format)s » non pris en charge : ce serveur ne répond qu'en JSON (application/fhir+json).") % {"format": wanted}
        )
    accept = request.headers.get("Accept", "").strip()
    if accept and not _accepts_json(accept):
        if "xml" in accept.lower():
            raise FhirError.not_acceptable(_("Le format XML n'est pas pris en charge : ce serveur ne répond qu'en JSON (application/fhir+json)."))
        raise FhirError.not_acceptable(_("Aucun des formats demandés n'est disponible : ce serveur ne répond qu'en JSON (application/fhir+json)."))


def wants_pretty(values: list[str]) -> bool:
    if not values:
        return False
    if values[-1] not in ("true", "false"):
        raise FhirError.invalid(_("_pretty attend « true » ou « false »."), "_pretty")
    return values[-1] == "true"


def fhir_response(resource: Resource, *, status: int = 200, pretty: bool = False, headers: dict | None = None) -> HttpResponse:
    body = resource.model_dump_json(exclude_none=True, indent=2 if pretty else None)
    response = HttpResponse(body, status=status, content_type=FHIR_JSON_CONTENT_TYPE)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def error_response(error: FhirError) -> HttpResponse:
    return fhir_response(operation_outcome(error.issues), status=error.status, headers=error.headers)


def unexpected_error_response() -> HttpResponse:
    issue = Issue("exception", _("Erreur interne inattendue. L'équipe technique est prévenue."), severity="fatal")
    return fhir_response(operation_outcome([issue]), status=500)


def base_url(request: HttpRequest) -> str:
    """The FHIR base: ``ENRS_FHIR_BASE_URL`` behind a proxy, else from the request."""
    configured = getattr(settings, "ENRS_FHIR_BASE_URL", "")
    if configured:
        return configured.rstrip("/")
    return request.build_absolute_uri(reverse("fhir:root")).rstrip("/")
