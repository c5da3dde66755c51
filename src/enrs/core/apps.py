import importlib

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# The service catalogue is reference data seeded by these migrations (idempotent seeds).
CATALOGUE_SEEDS = ("0002_seed_service_registry", "0006_seed_service_catalogue")


def reseed_service_catalogue(sender, using, **kwargs) -> None:
    """Put the catalogue back after a flush (transactional tests end with one).

    ``flush`` emits post_migrate, like ``migrate``; after a real migration the
    rows are already there and this does nothing.
    """
    from django.apps import apps

    service = apps.get_model("core", "Service")
    if service.objects.using(using).exists():
        return
    for name in CATALOGUE_SEEDS:
        importlib.import_module(f"enrs.core.migrations.{name}").seed(apps, None)
    _relink_built_services(apps)


def _relink_built_services(apps) -> None:
    """Re-run every ``link_tiles`` data migration: each service app points its tiles at its screens.

    By convention a service app that goes online ships a migration with a
    ``link_tiles(apps, schema_editor)`` function filling ``Service.url_name``;
    the seeds above left those empty again.
    """
    import sys

    from django.db.migrations.loader import MigrationLoader

    for migration in MigrationLoader(None, ignore_no_migrations=True).disk_migrations.values():
        link_tiles = getattr(sys.modules[type(migration).__module__], "link_tiles", None)
        if link_tiles is not None:
            link_tiles(apps, None)


class CoreConfig(AppConfig):
    name = "enrs.core"
    label = "core"

    def ready(self) -> None:
        post_migrate.connect(reseed_service_catalogue, sender=self, dispatch_uid="core_reseed_service_catalogue")
