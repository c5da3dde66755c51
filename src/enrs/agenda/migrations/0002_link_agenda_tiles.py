"""Point the service registry tiles "Agendas partagés", "e-RDV" and "Mes rendez-vous" (seeded by
core/0002 without a URL until this service exists) at the agenda screens."""

from django.db import migrations

from enrs.core.services_registry import tile_links

TILES = {"agendas": "agenda:pro_home", "erdv": "agenda:search", "mes-rendez-vous": "agenda:my_appointments"}
link_tiles, unlink_tiles = tile_links(TILES)


class Migration(migrations.Migration):
    dependencies = [("agenda", "0001_initial"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
