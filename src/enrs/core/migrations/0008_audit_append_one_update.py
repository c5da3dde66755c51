"""The chain head keeps the previous tip (one-UPDATE append); no single-column patient index.

SQLite alters a column by rebuilding the table, which drops its triggers: the
append-only guard is installed again right after (both directions).
"""

from django.db import migrations, models


def reinstall_guard(apps, schema_editor):
    from enrs.core.audit import install_guard

    install_guard(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0007_notification")]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="previous_hash",
            field=models.CharField(default="0" * 64, max_length=64),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="patient_id",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="patient (id)"),
        ),
        migrations.RunPython(reinstall_guard, reinstall_guard),
    ]
