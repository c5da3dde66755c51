from django.apps import AppConfig
from django.core import checks


class FhirConfig(AppConfig):
    name = "enrs.fhir"
    label = "fhir"
    verbose_name = "FHIR"

    def ready(self):
        # Each service app registers its resources in its own ``fhir.py``;
        # importing them from here keeps enrs.fhir free of service imports.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("fhir")
        checks.register(check_registry)


def check_registry(app_configs=None, **kwargs):
    from enrs.fhir.registry import registry

    return [checks.Error(problem, id="enrs.fhir.E001") for problem in registry.problems()]
