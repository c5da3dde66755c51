from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "enrs.fhir"
    label = "fhir"
    verbose_name = "FHIR"
