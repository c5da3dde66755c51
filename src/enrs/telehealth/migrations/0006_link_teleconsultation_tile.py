"""Point the service registry's Téléconsultation (pro) and Mes téléconsultations (patient)
tiles at the teleconsultation screen (video rooms)."""

from django.db import migrations

from enrs.core.services_registry import tile_links

link_tiles, unlink_tiles = tile_links({
    "teleconsultation": "telehealth:teleconsultations",  # professionals: appointments, rooms, opening one
    "mes-teleconsultations": "telehealth:teleconsultations",  # patients: their invitations
})


class Migration(migrations.Migration):
    dependencies = [("telehealth", "0005_act_amount_unconfirmed"), ("core", "0002_seed_service_registry")]
    operations = [migrations.RunPython(link_tiles, unlink_tiles)]
