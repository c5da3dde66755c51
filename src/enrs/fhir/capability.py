"""The CapabilityStatement (GET /fhir/metadata), built from the registry."""

from __future__ import annotations

from importlib import metadata

from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from enrs.fhir.constants import FHIR_JSON, FHIR_VERSION, FR_CORE_VERSION
from enrs.fhir.registry import CustomResource, Registry, ResourceType


def _software_version() -> str:
    try:
        return metadata.version("enrs")
    except metadata.PackageNotFoundError:
        return "0"


def _resource_entry(rt: ResourceType) -> dict:
    sort_keys = ", ".join(rt.all_sorts)
    documentation = str(rt.documentation) + (" " if rt.documentation else "") + _("Clés de _sort : %(keys)s.") % {"keys": sort_keys}
    interactions = set(rt.interactions) | ({"update"} if rt.conditional_update else set())
    entry = {
        "type": rt.name,
        "documentation": documentation,
        "interaction": [{"code": code} for code in sorted(interactions)],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "searchParam": [
            {"name": param.name, "type": param.type, "documentation": str(param.documentation) or None}
            for param in rt.all_params.values()
        ],
    }
    if rt.conditional_update:
        entry["conditionalUpdate"] = True
    if rt.profiles:
        entry["supportedProfile"] = list(rt.profiles)
    if rt.include_specs:
        entry["searchInclude"] = list(rt.include_specs)
    if rt.operations:
        entry["operation"] = [
            {"name": op.name, "definition": op.definition, "documentation": str(op.documentation) or None}
            for op in rt.operations
        ]
    return entry


def _custom_entry(resource: CustomResource) -> dict:
    entry = {
        "type": resource.name,
        "documentation": str(resource.documentation) or None,
        "interaction": [{"code": code} for code in sorted(resource.interactions)],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "searchParam": [
            {"name": name, "type": kind, "documentation": str(documentation) or None}
            for name, kind, documentation in resource.search_params
        ],
    }
    if resource.profiles:
        entry["supportedProfile"] = list(resource.profiles)
    if resource.search_includes:
        entry["searchInclude"] = list(resource.search_includes)
    return entry


def _entries(registry: Registry) -> list[dict]:
    entries = [_resource_entry(rt) for rt in registry] + [_custom_entry(resource) for resource in registry.custom()]
    return sorted(entries, key=lambda entry: entry["type"])


def capability_statement(registry: Registry, base: str) -> CapabilityStatement:
    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "id": "enrs",
            "url": f"{base}/metadata",
            "name": "ENRSServeurFHIR",
            "title": _("ENRS — serveur FHIR"),
            "status": "active",
            "date": timezone.now(),
            "publisher": "ENRS",
            "kind": "instance",
            "software": {"name": "ENRS", "version": _software_version()},
            "implementation": {"description": _("Espace Numérique Régional de Santé — API FHIR"), "url": base},
            "fhirVersion": FHIR_VERSION,
            "format": [FHIR_JSON, "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": _(
                        "JSON uniquement. Paramètres inconnus refusés (400) sauf avec « Prefer: handling=lenient ». "
                        "Pagination par _page et _count. Identifiants selon FR Core %(version)s."
                    ) % {"version": FR_CORE_VERSION},
                    "resource": _entries(registry),
                }
            ],
        }
    )
