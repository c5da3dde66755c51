"""Point the service registry tile "Observatoire des urgences" (seeded by core/0002 without a URL
until this service exists) at the observatory. Pilot-e and NormAntiBio stay "bientôt disponible"."""

from django.db import migrations

from enrs.core.services_registry import tile_links

TILES = {"oru": "observatory:home"}
link_tiles, unlink_tiles = tile_links(TILES)


class Migration(migrations.Migration):
    dependencies = [("observatory", "0001_initial"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
