"""Building one resource: call the declared ``to_fhir`` and check what it returns."""

from __future__ import annotations

import json

import pydantic
from django.http import HttpRequest
from django.utils.translation import gettext as _
from fhir.resources.R4B.resource import Resource

from enrs.fhir.errors import FhirError, Issue
from enrs.fhir.registry import ResourceType


def build_resource(rt: ResourceType, obj, request: HttpRequest | None) -> Resource:
    """The validated R4B resource for ``obj``; a mapping bug is a server error."""
    resource = rt.to_fhir(obj, request)
    if not isinstance(resource, rt.model_class):
        raise TypeError(f"{rt.name}.to_fhir returned {type(resource).__name__}, expected {rt.model_class.__name__}")
    if not resource.id:
        raise TypeError(f"{rt.name}.to_fhir returned a resource without id")
    return resource


def find(rt: ResourceType, resource_id: str, request: HttpRequest | None):
    pk = rt.id_to_pk(resource_id)
    obj = rt.queryset(request).filter(pk=pk).first() if pk is not None else None
    if obj is None:
        raise FhirError.not_found(_("Ressource %(type)s/%(id)s introuvable.") % {"type": rt.name, "id": resource_id})
    return obj


def _fhirpath(type_name: str, location: tuple) -> str:
    path = type_name
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def parse_body(request: HttpRequest, rt: ResourceType) -> Resource:
    """The resource sent in a write request: 415 for another media type, 400
    for unreadable JSON or another resource type, 422 for an invalid resource.
    Used by the write handlers services plug into ``ResourceType.handlers``."""
    media = (request.content_type or "").lower()
    if media not in ("application/fhir+json", "application/json"):
        raise FhirError.unsupported_media_type(
            _("Type de contenu « %(type)s » non pris en charge : envoyez application/fhir+json.") % {"type": media or "—"}
        )
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FhirError.invalid(_("Le corps de la requête n'est pas du JSON lisible.")) from exc
    if not isinstance(data, dict) or data.get("resourceType") != rt.name:
        raise FhirError.invalid(_("Le corps doit être une ressource %(type)s.") % {"type": rt.name}, "resourceType")
    try:
        return rt.model_class.model_validate(data)
    except pydantic.ValidationError as exc:
        issues = [
            Issue(
                "structure" if error.get("type") == "extra_forbidden" else "invalid",
                (_("Élément inconnu : %(path)s.") if error.get("type") == "extra_forbidden" else _("Valeur invalide : %(path)s."))
                % {"path": _fhirpath(rt.name, tuple(error.get("loc", ())))},
                expression=(_fhirpath(rt.name, tuple(error.get("loc", ()))),),
            )
            for error in exc.errors()
        ]
        raise FhirError.unprocessable(issues) from exc
