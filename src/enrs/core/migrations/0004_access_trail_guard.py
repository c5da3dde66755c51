"""Database triggers that make the access trail append-only (SQLite and PostgreSQL)."""

from django.db import migrations


def install(apps, schema_editor):
    from enrs.core.audit import install_guard

    install_guard(schema_editor.connection)


def remove(apps, schema_editor):
    from enrs.core.audit import remove_guard

    remove_guard(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_access_trail")]

    operations = [migrations.RunPython(install, remove)]
