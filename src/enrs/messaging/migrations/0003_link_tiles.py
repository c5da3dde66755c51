"""Point the service registry tiles seeded by core/0002 without a URL at the messaging screens."""

from django.db import migrations

from enrs.core.services_registry import tile_links

TILES = {"tchat": "messaging:inbox", "edemande": "messaging:worklist", "mes-messages": "messaging:inbox"}
link_tiles, unlink_tiles = tile_links(TILES)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_seed_request_types"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
