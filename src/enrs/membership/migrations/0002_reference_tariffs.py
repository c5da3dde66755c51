"""Load the reference tariffs (2025 catalogue, AG of 17 March 2025) as initial data.

Idempotent: a row already present for its key and start date is left as it is
(so an amount edited by the agency is never overwritten). The same rows load
through ``enrs membership_tariffs`` (services.load_reference_tariffs), which also
checks for overlapping periods.
"""

from decimal import Decimal

from django.conf import settings
from django.db import migrations

from enrs.membership import tariff_data


def load(apps, schema_editor):
    Tariff = apps.get_model("membership", "Tariff")
    vat_rate = Decimal(str(getattr(settings, "ENRS_MEMBERSHIP_VAT_RATE", "20.00")))
    for values in tariff_data.rows(vat_rate):
        key = {k: values[k] for k in ("kind", "category", "unit", "effective_from")}
        if not Tariff.objects.filter(**key).exists():
            Tariff.objects.create(**values)


def unload(apps, schema_editor):
    Tariff = apps.get_model("membership", "Tariff")
    Tariff.objects.filter(effective_from=tariff_data.REFERENCE_DATE, source=tariff_data.SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("membership", "0001_initial"), ("core", "0006_seed_service_catalogue")]
    operations = [migrations.RunPython(load, unload)]
