"""Two starter e-Demande types (data; the agency edits or adds others in the back office)."""

from django.db import migrations

TYPES = [
    {
        "code": "avis-specialise",
        "label": "Demande d'avis spécialisé",
        "description": "Solliciter l'avis d'un confrère ou d'une équipe sur la situation d'un patient.",
        "due_days": 7,
        "about_patient": True,
        "fields": [
            {"name": "specialite", "label": "Spécialité sollicitée", "type": "text", "required": True},
            {"name": "urgence", "label": "Degré d'urgence", "type": "choice", "required": True,
             "choices": ["Non urgent", "Sous 72 heures", "Sous 24 heures"]},
            {"name": "question", "label": "Question posée", "type": "textarea", "required": True},
        ],
    },
    {
        "code": "appui-coordination",
        "label": "Demande d'appui à la coordination (DAC)",
        "description": "Demander l'appui du dispositif d'appui à la coordination pour une situation complexe.",
        "due_days": 5,
        "about_patient": True,
        "fields": [
            {"name": "motif", "label": "Motif", "type": "choice", "required": True,
             "choices": ["Retour à domicile", "Situation sociale complexe", "Rupture de parcours", "Autre"]},
            {"name": "description", "label": "Description de la situation", "type": "textarea", "required": True},
            {"name": "intervenants", "label": "Nombre d'intervenants actuels", "type": "integer", "required": False},
            {"name": "date_souhaitee", "label": "Date souhaitée d'intervention", "type": "date", "required": False},
        ],
    },
]


def seed(apps, schema_editor):
    RequestType = apps.get_model("messaging", "RequestType")
    for values in TYPES:
        RequestType.objects.update_or_create(code=values["code"], defaults={k: v for k, v in values.items() if k != "code"})


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
