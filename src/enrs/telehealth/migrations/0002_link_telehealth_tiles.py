"""Point the service registry tiles of the telehealth family (seeded by core/0002 without a URL)
at the screens built now. Téléconsultation stays "bientôt disponible" until the video part."""

from django.db import migrations

from enrs.core.services_registry import tile_links

TILES = {
    "teleexpertise": "telehealth:expertise_list",
    "telesoin": "telehealth:home",
    "telesurveillance": "telehealth:worklist",
    "teleurgence": "telehealth:urgent_list",
    "estaff": "telehealth:meetings",
    "ercp": "telehealth:meetings",
}
link_tiles, unlink_tiles = tile_links(TILES)


class Migration(migrations.Migration):
    dependencies = [("telehealth", "0001_initial"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
