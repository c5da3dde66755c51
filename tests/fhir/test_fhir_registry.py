"""Declarations are checked when a resource type is registered."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from fhir.resources.R4B.basic import Basic

from enrs.directory.models import Organisation
from enrs.fhir import params as p
from enrs.fhir.apps import check_registry
from enrs.fhir.registry import Registry, ResourceType, registry


def _basic(**overrides) -> ResourceType:
    options = {
        "name": "Basic",
        "queryset": lambda request: Organisation.objects.all(),
        "to_fhir": lambda obj, request: Basic(id=str(obj.pk), code={"text": obj.name}),
    }
    options.update(overrides)
    return ResourceType(**options)


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": "Organisation"},  # not a FHIR type
        {"interactions": frozenset({"read", "vread"})},
        {"interactions": frozenset({"read", "create"})},  # no handler
        {"search_params": (p.string("name", "name"), p.string("name", "short_name"))},
        {"search_params": (p.string("_count", "name"),)},
        {"includes": (p.Include("partof", "Organization", "legal_entity"),)},  # undeclared parameter
    ],
)
def test_bad_declarations_are_refused(overrides):
    with pytest.raises(ImproperlyConfigured):
        _basic(**overrides)


def test_common_parameters_and_sorts_are_added():
    rt = _basic(search_params=(p.string("name", "name"),), sorts={"name": ("name",)})
    assert list(rt.all_params) == ["_id", "_lastUpdated", "name"]
    assert list(rt.all_sorts) == ["_id", "_lastUpdated", "name"]
    assert "_lastUpdated" not in _basic(last_updated=None).all_params


def test_registry_refuses_two_declarations_of_a_type_and_reports_dangling_targets():
    local = Registry()
    rt = _basic(
        search_params=(p.reference("partof", {"Organization": "legal_entity"}),),
        includes=(p.Include("partof", "Organization", "legal_entity"),),
    )
    local.register(rt)
    local.register(rt)  # the same object twice is harmless (module re-import)
    with pytest.raises(ImproperlyConfigured):
        local.register(_basic())
    assert len(local.problems()) == 2
    assert local.pk_for("Basic", "12") == 12 and local.pk_for("Patient", "12") is None


def test_the_project_registry_is_consistent():
    assert {"Organization", "Practitioner", "PractitionerRole"} <= {rt.name for rt in registry}
    assert registry.problems() == []
    assert check_registry() == []
