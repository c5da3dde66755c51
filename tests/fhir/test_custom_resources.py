"""Resource types served by an app's own views are announced, and cannot clash with generic ones."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from enrs.fhir.registry import CustomResource, Registry, ResourceType


def _generic(name):
    return ResourceType(name=name, queryset=lambda request: None, to_fhir=lambda obj, request: None)


def test_a_custom_type_cannot_shadow_a_generic_one():
    registry = Registry()
    registry.register(_generic("Slot"))
    with pytest.raises(ImproperlyConfigured):
        registry.register_custom(CustomResource(name="Slot", interactions=("read",), search_params=()))


def test_a_generic_type_cannot_shadow_a_custom_one():
    registry = Registry()
    registry.register_custom(CustomResource(name="Slot", interactions=("read",), search_params=()))
    with pytest.raises(ImproperlyConfigured):
        registry.register(_generic("Slot"))


@pytest.mark.parametrize("kwargs", [{"name": "Créneau"}, {"name": "Slot", "interactions": ("vread-all",)}])
def test_custom_declarations_are_checked(kwargs):
    with pytest.raises(ImproperlyConfigured):
        CustomResource(**{"name": "Slot", "interactions": ("read",), "search_params": (), **kwargs})


def test_unregister_forgets_a_custom_type():
    registry = Registry()
    slot = CustomResource(name="Slot", interactions=("read",), search_params=())
    registry.register_custom(slot)
    registry.unregister("Slot")
    assert registry.custom() == []
