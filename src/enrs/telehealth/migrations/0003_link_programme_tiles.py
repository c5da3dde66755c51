"""Point the tiles of the two telemonitoring programmes and of the expert's side of tele-expertise
(seeded by core/0006 without a URL) at the telehealth screens that serve them."""

from django.db import migrations

from enrs.core.services_registry import tile_links

TILES = {
    "scad-antico": "telehealth:worklist",
    "domoplaies": "telehealth:worklist",
    "teleexpertise-requis": "telehealth:expertise_list",
}
link_tiles, unlink_tiles = tile_links(TILES)


class Migration(migrations.Migration):
    dependencies = [("telehealth", "0002_link_telehealth_tiles"), ("core", "0006_seed_service_catalogue")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
