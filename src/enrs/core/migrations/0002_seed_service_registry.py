"""Seed the service registry from the 2025 catalogue's eligibility table.

Source: shared/reference/catalogue-and-tariffs.md ("Eligibility by collège").
``url_name`` is filled for the services online today; the other rows show as
"en cours de déploiement" until their issue lands and sets it.
"""

from django.db import migrations

SERVICES = [
    # code, name, description, audience, colleges, institutional, url_name, position
    ("annuaire", "Annuaire santé", "Rechercher un professionnel ou une structure de la région.", "pro", "", True, "directory:search", 10),
    ("coordination", "Dossier de coordination", "Équipe de soins, documents partagés et parcours (e-Parcours).", "pro", "ABCDF", False, "", 20),
    ("agendas", "Agendas partagés", "Créneaux partagés entre structures et prise de rendez-vous.", "pro", "ABCDF", False, "", 30),
    ("erdv", "e-RDV", "Prise de rendez-vous en ligne par les patients.", "pro", "AB", False, "", 35),
    ("tchat", "Tchat sécurisé", "Messagerie instantanée entre professionnels et avec les patients.", "pro", "ABCDF", False, "", 40),
    ("edemande", "e-Demande", "Demandes structurées entre professionnels et structures.", "pro", "ABCDF", False, "", 45),
    ("teleconsultation", "Téléconsultation", "Consultation vidéo avec le patient.", "pro", "ABCDF", False, "", 50),
    ("teleexpertise", "Télé-expertise", "Demander l'avis d'un expert.", "pro", "ABCDF", False, "", 55),
    ("telesoin", "Télésoin", "Actes à distance des auxiliaires médicaux et pharmaciens.", "pro", "ABCDF", False, "", 56),
    ("telesurveillance", "Télésurveillance", "Programmes de suivi à distance (SCAD-Antico, Domoplaies…).", "pro", "ABC", False, "", 60),
    ("teleurgence", "Télémédecine urgente", "Télé-AVC et avis urgents avec astreinte.", "pro", "ABCF", False, "", 62),
    ("estaff", "e-Staff", "Réunions pluriprofessionnelles.", "pro", "ABCD", False, "", 65),
    ("ercp", "e-RCP", "Réunions de concertation pluridisciplinaire (oncologie).", "pro", "ABD", False, "", 66),
    ("ror", "Offre de soins (ROR)", "Répertoire de l'offre et recherche TODS.", "pro", "", True, "", 70),
    ("oru", "Observatoire des urgences", "Activité des urgences à partir des RPU.", "pro", "A", False, "", 80),
    ("pilote", "Pilot-e", "Observatoire de l'activité e-santé.", "pro", "ABCDF", False, "", 82),
    ("normantibio", "NormAntiBio", "Consommation d'antibiotiques et résistances.", "pro", "A", False, "", 84),
    ("adhesion", "Adhésion et catalogue", "Adhésion, conventions, devis et catalogue des services.", "pro", "ABCDEF", False, "", 90),
    # Patient access point
    ("mes-rendez-vous", "Mes rendez-vous", "Prendre, consulter et annuler vos rendez-vous.", "patient", "", True, "", 10),
    ("mes-documents", "Mes documents", "Les documents que vos soignants partagent avec vous.", "patient", "", True, "", 20),
    ("mes-messages", "Mes messages", "Échanger avec vos soignants.", "patient", "", True, "", 30),
    ("mes-teleconsultations", "Mes téléconsultations", "Rejoindre une téléconsultation.", "patient", "", True, "", 40),
    ("trouver-un-soin", "Trouver un soin", "Rechercher un professionnel ou une offre de soins.", "public", "", True, "", 50),
]


def seed(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, name, description, audience, colleges, institutional, url_name, position in SERVICES:
        Service.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "audience": audience,
                "eligible_colleges": colleges,
                "institutional": institutional,
                "url_name": url_name,
                "position": position,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("core", "Service").objects.filter(code__in=[row[0] for row in SERVICES]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
