"""Point the portal tiles of the coordination record and of "Mes documents" to their screens (issue 5)."""

from django.db import migrations

URLS = {"coordination": "coordination:home", "mes-documents": "coordination_portal:documents"}


def link_tiles(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, url_name in URLS.items():
        Service.objects.filter(code=code).update(url_name=url_name)


def unlink(apps, schema_editor):
    apps.get_model("core", "Service").objects.filter(code__in=URLS).update(url_name="")


class Migration(migrations.Migration):
    dependencies = [("coordination", "0002_builtin_pathways"), ("core", "0006_seed_service_catalogue")]
    operations = [migrations.RunPython(link_tiles, unlink)]
