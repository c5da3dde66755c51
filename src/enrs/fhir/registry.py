"""The registry of FHIR resource types served under /fhir/.

Each service app declares its resources in ``<app>/fhir.py``::

    from enrs.fhir import params as p
    from enrs.fhir.registry import ResourceType, register

    register(ResourceType(
        name="Organization",
        queryset=lambda request: Organisation.objects.all(),
        to_fhir=organization_resource,          # (obj, request) -> fhir.resources R4B model
        search_params=(p.string("name", "name", documentation=...), ...),
        includes=(p.Include("partof", "Organization", "legal_entity"),),
        sorts={"name": ("name",)},
    ))

``FhirConfig.ready()`` imports every app's ``fhir.py`` (autodiscover), so
``enrs.fhir`` never imports a service app. ``_id`` and ``_lastUpdated`` are
added to every type by the framework.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from fhir.resources.R4B import get_fhir_model_class

from enrs.fhir import params as p

READ, SEARCH = "read", "search-type"
SUPPORTED_INTERACTIONS = {READ, SEARCH, "create", "update", "patch", "delete"}
RESERVED_NAMES = {"_count", "_sort", "_include", "_revinclude", "_page", "_format", "_pretty", "_total", "_summary", "_elements"}


@dataclass(frozen=True)
class Operation:
    """A type-level operation (``POST [type]/$name``): ``handler(request, resource_type) -> HttpResponse``.

    ``definition`` is the canonical OperationDefinition announced in the
    CapabilityStatement (e.g. http://hl7.org/fhir/OperationDefinition/Patient-match).
    """

    name: str
    handler: Callable
    definition: str
    documentation: str = ""


@dataclass(frozen=True, kw_only=True)
class ResourceType:
    """How one FHIR resource type is served.

    ``queryset(request)`` gives every object the requester may see (the place
    for permission filtering); ``to_fhir(obj, request)`` builds the validated
    R4B resource. ``handlers`` plugs in write interactions (``create``,
    ``update``, ``patch``, ``delete``) as ``handler(request, resource_type,
    id_or_None) -> HttpResponse``; read and search-type are built in.
    """

    name: str
    queryset: Callable[[HttpRequest | None], QuerySet]
    to_fhir: Callable[[Model, HttpRequest | None], Any]
    interactions: frozenset[str] = frozenset({READ, SEARCH})
    search_params: tuple[p.SearchParam, ...] = ()
    includes: tuple[p.Include, ...] = ()
    sorts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_sort: tuple[str, ...] = ("pk",)
    last_updated: str | None = "updated_at"
    id_to_pk: Callable[[str], Any] = p.integer_pk
    profiles: tuple[str, ...] = ()
    documentation: str = ""
    handlers: Mapping[str, Callable] = field(default_factory=dict)
    operations: tuple[Operation, ...] = ()
    # A type-level ``PUT [type]?search`` served by the app's own route (announced as
    # ``update`` with ``conditionalUpdate`` in the CapabilityStatement).
    conditional_update: bool = False

    def __post_init__(self):
        try:
            model_class = get_fhir_model_class(self.name)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{self.name} is not a FHIR R4B resource type") from exc
        object.__setattr__(self, "model_class", model_class)
        unknown = set(self.interactions) - SUPPORTED_INTERACTIONS
        if unknown:
            raise ImproperlyConfigured(f"{self.name}: unsupported interactions {sorted(unknown)}")
        missing = {i for i in self.interactions if i not in (READ, SEARCH)} - set(self.handlers)
        if missing:
            raise ImproperlyConfigured(f"{self.name}: no handler for {sorted(missing)}")
        names = [param.name for param in self.search_params]
        if len(names) != len(set(names)) or set(names) & (RESERVED_NAMES | {"_id", "_lastUpdated"}):
            raise ImproperlyConfigured(f"{self.name}: duplicate or reserved search parameter names in {names}")
        for include in self.includes:
            if include.param not in names:
                raise ImproperlyConfigured(f"{self.name}: _include on undeclared parameter {include.param}")

    @cached_property
    def all_params(self) -> dict[str, p.SearchParam]:
        """Declared parameters plus the common ``_id`` and ``_lastUpdated``."""
        common: list[p.SearchParam] = [
            p.IdParam(name="_id", resource_type=self.name, documentation=_("Identifiant logique de la ressource.")),
        ]
        if self.last_updated:
            common.append(p.date("_lastUpdated", self.last_updated, documentation=_("Date de dernière mise à jour (préfixes eq, ne, gt, ge, lt, le, sa, eb).")))
        return {param.name: param for param in (*common, *self.search_params)}

    @cached_property
    def all_sorts(self) -> dict[str, tuple[str, ...]]:
        sorts = {"_id": ("pk",)}
        if self.last_updated:
            sorts["_lastUpdated"] = (self.last_updated,)
        sorts.update(self.sorts)
        return sorts

    @cached_property
    def include_specs(self) -> dict[str, p.Include]:
        return {f"{self.name}:{include.param}": include for include in self.includes}

    def operation(self, name: str) -> Operation | None:
        return next((op for op in self.operations if op.name == name), None)

    def supports(self, interaction: str) -> bool:
        return interaction in self.interactions


@dataclass(frozen=True, kw_only=True)
class CustomResource:
    """A resource type an app serves with its own views (e.g. computed Slots, never stored).

    It is not searchable through the generic machinery; it is only announced in the
    CapabilityStatement, with the interactions and parameters its views really support.
    """

    name: str
    interactions: tuple[str, ...]
    search_params: tuple[tuple[str, str, str], ...]  # (name, FHIR type, documentation)
    profiles: tuple[str, ...] = ()
    search_includes: tuple[str, ...] = ()
    documentation: str = ""

    def __post_init__(self):
        try:
            get_fhir_model_class(self.name)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{self.name} is not a FHIR R4B resource type") from exc
        unknown = set(self.interactions) - SUPPORTED_INTERACTIONS
        if unknown:
            raise ImproperlyConfigured(f"{self.name}: unsupported interactions {sorted(unknown)}")


class Registry:
    def __init__(self):
        self._types: dict[str, ResourceType] = {}
        self._custom: dict[str, CustomResource] = {}

    def register(self, resource_type: ResourceType) -> ResourceType:
        existing = self._types.get(resource_type.name)
        if (existing is not None and existing is not resource_type) or resource_type.name in self._custom:
            raise ImproperlyConfigured(f"FHIR resource type {resource_type.name} is registered twice")
        self._types[resource_type.name] = resource_type
        return resource_type

    def register_custom(self, resource: CustomResource) -> CustomResource:
        if resource.name in self._types or self._custom.get(resource.name, resource) is not resource:
            raise ImproperlyConfigured(f"FHIR resource type {resource.name} is registered twice")
        self._custom[resource.name] = resource
        return resource

    def custom(self) -> list[CustomResource]:
        return sorted(self._custom.values(), key=lambda resource: resource.name)

    def unregister(self, name: str) -> None:
        self._types.pop(name, None)
        self._custom.pop(name, None)

    def get(self, name: str) -> ResourceType | None:
        return self._types.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(sorted(self._types.values(), key=lambda rt: rt.name))

    def pk_for(self, type_name: str, resource_id: str):
        """The database key of ``type_name/resource_id``, or None if it cannot exist."""
        resource_type = self.get(type_name)
        return resource_type.id_to_pk(resource_id) if resource_type else None

    def problems(self) -> list[str]:
        """Cross-type declarations that point nowhere (checked by a system check)."""
        found = []
        for rt in self:
            for include in rt.includes:
                if include.target not in self:
                    found.append(f"{rt.name}:{include.param} includes unregistered {include.target}")
            for param in rt.search_params:
                for target in getattr(param, "targets", {}) if param.type == "reference" else ():
                    if target not in self:
                        found.append(f"{rt.name}.{param.name} references unregistered {target}")
        return found


registry = Registry()


def register(resource_type: ResourceType) -> ResourceType:
    return registry.register(resource_type)


def register_custom(resource: CustomResource) -> CustomResource:
    return registry.register_custom(resource)
