"""FHIR R4 REST machinery shared by every service.

Service apps declare their resources in a ``fhir.py`` module (discovered at
start-up by :class:`enrs.fhir.apps.FhirConfig`) with :func:`enrs.fhir.registry.register`;
this package turns those declarations into read and search endpoints, Bundles,
OperationOutcomes and the CapabilityStatement. See docs/services/fhir.md.
"""
