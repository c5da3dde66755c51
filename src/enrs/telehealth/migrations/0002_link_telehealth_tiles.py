"""Point the service registry tiles of the telehealth family (seeded by core/0002 without a URL)
at the screens built now. Téléconsultation stays "bientôt disponible" until the video part."""

from django.db import migrations

TILES = {
    "teleexpertise": "telehealth:expertise_list",
    "telesoin": "telehealth:home",
    "telesurveillance": "telehealth:worklist",
    "teleurgence": "telehealth:urgent_list",
    "estaff": "telehealth:meetings",
    "ercp": "telehealth:meetings",
}


def link_tiles(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, url_name in TILES.items():
        Service.objects.filter(code=code, url_name="").update(url_name=url_name)


def unlink_tiles(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, url_name in TILES.items():
        Service.objects.filter(code=code, url_name=url_name).update(url_name="")


class Migration(migrations.Migration):
    dependencies = [("telehealth", "0001_initial"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
