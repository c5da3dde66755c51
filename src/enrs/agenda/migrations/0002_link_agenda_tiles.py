"""Point the service registry tiles "Agendas partagés", "e-RDV" and "Mes rendez-vous" (seeded by
core/0002 without a URL until this service exists) at the agenda screens."""

from django.db import migrations

TILES = {"agendas": "agenda:pro_home", "erdv": "agenda:search", "mes-rendez-vous": "agenda:my_appointments"}


def link_tiles(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, url_name in TILES.items():
        Service.objects.filter(code=code, url_name="").update(url_name=url_name)


def unlink_tiles(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, url_name in TILES.items():
        Service.objects.filter(code=code, url_name=url_name).update(url_name="")


class Migration(migrations.Migration):
    dependencies = [("agenda", "0001_initial"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
