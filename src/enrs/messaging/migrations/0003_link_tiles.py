"""Point the service registry tiles seeded by core/0002 without a URL at the messaging screens."""

from django.db import migrations

TILES = {"tchat": "messaging:inbox", "edemande": "messaging:worklist", "mes-messages": "messaging:inbox"}


def link_tiles(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, url_name in TILES.items():
        Service.objects.filter(code=code, url_name="").update(url_name=url_name)


def unlink_tiles(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, url_name in TILES.items():
        Service.objects.filter(code=code, url_name=url_name).update(url_name="")


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_seed_request_types"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
