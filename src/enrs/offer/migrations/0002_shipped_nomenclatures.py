"""Load the nomenclature subsets shipped in ``offer/data`` (see enrs.offer.nomenclatures),
and point the service registry tiles "Offre de soins (ROR)" and "Trouver un soin"
(seeded by core/0002 without a URL until this service exists) at the TODS pages."""

from django.db import migrations

from enrs.core.services_registry import tile_links
from enrs.offer import nomenclatures

TILES = {"ror": "offer:search", "trouver-un-soin": "offer:public_search"}
link_tiles, unlink_tiles = tile_links(TILES)


def load(apps, schema_editor):
    CodeSystem = apps.get_model("offer", "CodeSystem")
    Concept = apps.get_model("offer", "Concept")
    for path in nomenclatures.shipped_files():
        parsed = nomenclatures.read_code_system_file(path)
        system, _created = CodeSystem.objects.update_or_create(
            url=parsed.url,
            defaults={"key": parsed.key, "name": parsed.name, "oid": parsed.oid, "value_set": parsed.value_set,
                      "version": parsed.version, "subset": parsed.subset, "confirmed": parsed.confirmed, "source": path.name},
        )
        for code, label in parsed.concepts:
            Concept.objects.update_or_create(system=system, code=code, defaults={"label": label, "active": True})


class Migration(migrations.Migration):
    dependencies = [("offer", "0001_initial"), ("core", "0002_seed_service_registry")]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunPython(link_tiles, unlink_tiles),
    ]
