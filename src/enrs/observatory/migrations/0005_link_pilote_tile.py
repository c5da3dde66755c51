"""Point the service registry tile "Pilot-e" (seeded by core/0002 without a URL) at its activity screen."""

from django.db import migrations

from enrs.core.services_registry import tile_links

TILES = {"pilote": "observatory:pilote"}
link_tiles, unlink_tiles = tile_links(TILES)


class Migration(migrations.Migration):
    dependencies = [("observatory", "0004_link_normantibio_tile"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
