"""Point the service registry tile "NormAntiBio" (seeded by core/0002 without a URL) at its screens."""

from django.db import migrations

from enrs.core.services_registry import tile_links

TILES = {"normantibio": "observatory:antibio_home"}
link_tiles, unlink_tiles = tile_links(TILES)


class Migration(migrations.Migration):
    dependencies = [("observatory", "0003_normantibio"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
