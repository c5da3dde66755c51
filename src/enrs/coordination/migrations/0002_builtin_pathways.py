"""Load the shipped pathway templates (perinatal, VigilanS, DAC complex case); kept when already present."""

from django.db import migrations


def load(apps, schema_editor):
    from enrs.coordination.pathways import builtin_templates

    PathwayTemplate = apps.get_model("coordination", "PathwayTemplate")
    for parsed, text in builtin_templates():
        PathwayTemplate.objects.get_or_create(code=parsed.code, defaults={"name": parsed.name, "definition": text})


class Migration(migrations.Migration):
    dependencies = [("coordination", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
