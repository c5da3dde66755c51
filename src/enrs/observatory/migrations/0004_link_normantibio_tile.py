"""Point the service registry tile "NormAntiBio" (seeded by core/0002 without a URL) at its screens."""

from django.db import migrations

TILES = {"normantibio": "observatory:antibio_home"}


def link_tiles(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, url_name in TILES.items():
        Service.objects.filter(code=code, url_name="").update(url_name=url_name)


def unlink_tiles(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, url_name in TILES.items():
        Service.objects.filter(code=code, url_name=url_name).update(url_name="")


class Migration(migrations.Migration):
    dependencies = [("observatory", "0003_normantibio"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
