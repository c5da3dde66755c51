"""Point the service registry tile "Observatoire des urgences" (seeded by core/0002 without a URL
until this service exists) at the observatory. Pilot-e and NormAntiBio stay "bientôt disponible"."""

from django.db import migrations

TILES = {"oru": "observatory:home"}


def link_tiles(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, url_name in TILES.items():
        Service.objects.filter(code=code, url_name="").update(url_name=url_name)


def unlink_tiles(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, url_name in TILES.items():
        Service.objects.filter(code=code, url_name=url_name).update(url_name="")


class Migration(migrations.Migration):
    dependencies = [("observatory", "0001_initial"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
