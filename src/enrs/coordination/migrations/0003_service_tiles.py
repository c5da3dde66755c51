"""Point the portal tiles of the coordination record and of "Mes documents" to their screens (issue 5)."""

from django.db import migrations

from enrs.core.services_registry import tile_links

URLS = {"coordination": "coordination:home", "mes-documents": "coordination_portal:documents"}
link_tiles, unlink_tiles = tile_links(URLS)


class Migration(migrations.Migration):
    dependencies = [("coordination", "0002_builtin_pathways"), ("core", "0006_seed_service_catalogue")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
