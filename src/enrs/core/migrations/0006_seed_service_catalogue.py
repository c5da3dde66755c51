"""Complete the service registry with the whole 2025 service catalogue.

Source: shared/reference/seeds/catalogue-services-2025.txt and
shared/reference/catalogue-and-tariffs.md. For every service: description,
eligible collèges (« pour quel collège ? »), how it is obtained (institutional,
pack adhérent, pack complémentaire, specific contribution, purchasing centre),
the agency team to contact (team names only: never a person, e-mail or phone)
and the access mode.

Rows seeded by 0002 keep their name, description, audience and route; this
migration only adds the catalogue details to them. Services that are not
online ENRS services (national services, purchasing-centre contracts, support
offers) use the "catalogue" audience: listed in the public catalogue, never a
portal tile. Idempotent (update_or_create by code).
"""

from django.db import migrations

PROJECTS = "Pôle Conception et Développement des projets"
DEPLOYMENT = "Pôle Animation et Déploiement des Usages"
INFRA = "Pôle Ingénierie et Infrastructure"
COMMUNICATION = "Pôle Relations Publiques et Expérience Utilisateurs"
CART = "Pôle CART (coordination des activités régionales de télésanté)"
SUPPORT = "Support utilisateurs de l'agence"
IDV = "Équipe d'identitovigilance"
SECURITY = "RSSI du Pôle Expertise"
DIRECTION = "Direction de l'agence"

PORTAL = "Depuis le point d'accès professionnel, sans installation (une connexion internet suffit)."
THERAPE = (
    "Depuis le point d'accès professionnel (web), le logiciel de télémédecine installé sur PC ou Mac "
    "(fonctions avancées) ou l'application mobile."
)
THERAPE_SOFTWARE = "Logiciel de télémédecine installé sur PC ou Mac (fonctions avancées)."
PILOTE_ACCESS = "Point d'accès professionnel avec authentification forte (ou carte CPx) ; portail Pilot-e selon habilitations."
BPU = (
    "Prix du bordereau des prix unitaires du marché, communiqués après la signature de la convention de mise "
    "à disposition du marché ; commandes par bons de commande."
)

INSTITUTIONAL_FAMILY = "Services institutionnels"
COLLABORATIVE = "Services collaboratifs"
TELEMEDICINE = "Plateforme de télémédecine"
HEALTH_IS = "Système d'information de santé"
INFRASTRUCTURE = "Services d'infrastructure"
INFORMATION = "Services d'information"
TELEHEALTH = "Coordination des activités régionales de télésanté"
PURCHASING = "Centrale d'achat"

# Details added to the rows seeded by 0002: code -> (obtained_by, family, team, access_mode).
EXISTING = {
    "annuaire": ("institutional", INSTITUTIONAL_FAMILY, DEPLOYMENT, PORTAL),
    "coordination": ("pack_adherent", COLLABORATIVE, PROJECTS, PORTAL),
    "agendas": ("pack_adherent", COLLABORATIVE, PROJECTS, PORTAL),
    "erdv": ("pack_complementaire", COLLABORATIVE, PROJECTS, PORTAL),
    "tchat": ("pack_adherent", COLLABORATIVE, PROJECTS, PORTAL),
    "edemande": ("pack_adherent", COLLABORATIVE, PROJECTS, PORTAL),
    "teleconsultation": ("pack_adherent", TELEMEDICINE, SUPPORT, THERAPE),
    "teleexpertise": ("pack_adherent", TELEMEDICINE, SUPPORT, THERAPE),
    "telesoin": ("pack_adherent", TELEMEDICINE, SUPPORT, THERAPE),
    "telesurveillance": ("pack_adherent", TELEMEDICINE, CART, PORTAL),
    "teleurgence": ("pack_complementaire", TELEMEDICINE, PROJECTS, THERAPE),
    "estaff": ("pack_complementaire", TELEMEDICINE, PROJECTS, THERAPE_SOFTWARE),
    "ercp": ("pack_adherent", TELEMEDICINE, PROJECTS, PORTAL),
    "ror": ("institutional", INSTITUTIONAL_FAMILY, DEPLOYMENT, PORTAL),
    "oru": ("pack_adherent", INFORMATION, INFRA, PILOTE_ACCESS),
    "pilote": ("pack_adherent", INFORMATION, PROJECTS, PILOTE_ACCESS),
    "normantibio": ("pack_adherent", INFORMATION, INFRA, PILOTE_ACCESS),
    # How an organisation joins: open to every collège, no membership condition.
    "adhesion": ("", "Adhésion", DIRECTION, "En ligne depuis le catalogue ou par courrier recommandé."),
    "mes-rendez-vous": ("institutional", "Point d'accès usagers", PROJECTS, "Espace patient, gratuit pour les usagers."),
    "mes-documents": ("institutional", "Point d'accès usagers", PROJECTS, "Espace patient, gratuit pour les usagers."),
    "mes-messages": ("institutional", "Point d'accès usagers", PROJECTS, "Espace patient, gratuit pour les usagers."),
    "mes-teleconsultations": ("institutional", "Point d'accès usagers", PROJECTS, "Espace patient, gratuit pour les usagers."),
    "trouver-un-soin": ("institutional", "Point d'accès usagers", PROJECTS, "Espace public, sans compte."),
}
# The membership service is online: its tile leads to the membership home.
ROUTES = {"adhesion": "membership:home"}

NEW = [
    # code, name, description, audience, colleges, institutional, obtained_by, family, team, access_mode, position
    ("mon-espace-sante", "Mon Espace Santé", "Espace numérique personnel du patient (dossier médical, messagerie citoyenne) ; accompagnement au déploiement.",
     "catalogue", "", True, "institutional", INSTITUTIONAL_FAMILY, DEPLOYMENT,
     "Patients : site national et applications mobiles ; professionnels : logiciels métier DMP-compatibles.", 200),
    ("dmp", "Dossier Médical Partagé (DMP)", "Dossier médical national partagé entre usagers et professionnels ; accompagnement au déploiement.",
     "catalogue", "", True, "institutional", INSTITUTIONAL_FAMILY, DEPLOYMENT,
     "Logiciels métier DMP-compatibles ou site national, avec l'autorisation du patient.", 201),
    ("mssante", "Messagerie sécurisée de santé (MSSanté)", "Échanges de données de santé par messagerie dans l'espace de confiance MSSanté.",
     "catalogue", "", True, "institutional", INSTITUTIONAL_FAMILY, DEPLOYMENT,
     "Boîtes nominatives : numéro RPPS ou ADELI nécessaire.", 202),
    ("ins-identitovigilance", "INS et identitovigilance", "Accompagnement à l'Identité Nationale de Santé et aux bonnes pratiques d'identitovigilance.",
     "catalogue", "", True, "institutional", INSTITUTIONAL_FAMILY, IDV, "Accompagnement sur demande.", 203),
    ("pro-sante-connect", "Pro Santé Connect", "Fournisseur d'identité des professionnels (carte CPS ou e-CPS) ; accompagnement au raccordement.",
     "catalogue", "", True, "institutional", INSTITUTIONAL_FAMILY, INFRA, "Service national ; raccordement accompagné.", 204),
    ("cybersecurite", "Cybersécurité — animation régionale", "Sensibilisation, partage de bonnes pratiques, autoévaluations ISO 27001 et SMSI régional.",
     "catalogue", "", True, "institutional", INSTITUTIONAL_FAMILY, SECURITY, "Accompagnement sur demande.", 205),
    ("viatrajectoire", "ViaTrajectoire", "Orientation des patients vers les structures sanitaires et médico-sociales.",
     "catalogue", "", True, "institutional", INSTITUTIONAL_FAMILY, DEPLOYMENT, "Service national ; référent d'établissement.", 206),
    ("appui-esms", "Appui à la modernisation du SI des ESMS", "Conseil et pilotage des projets de système d'information des établissements médico-sociaux.",
     "catalogue", "C", False, "institutional", INSTITUTIONAL_FAMILY, PROJECTS,
     "Accompagnement institutionnel ; accompagnement renforcé moyennant un financement complémentaire.", 207),
    ("geolocalisation-tsu", "Géolocalisation des transports sanitaires urgents", "Localisation des véhicules d'urgence transmise au système d'information des SAMU.",
     "catalogue", "D", False, "institutional", INSTITUTIONAL_FAMILY, DIRECTION, "Après vérification préalable de l'éligibilité.", 208),
    ("teleconsultation-avancee", "Téléconsultation avancée",
     "Paiement en ligne, feuilles de soins électroniques, dispositifs médicaux connectés, DMP intégré, envoi MSSanté et coffre-fort.",
     "pro", "ABCDF", False, "pack_complementaire", TELEMEDICINE, SUPPORT, THERAPE, 51),
    ("teleexpertise-requis", "Télé-expertise (requis)", "Donner un avis d'expert valorisable, dont Domoplaies côté expert.",
     "pro", "ABCDF", False, "pack_complementaire", TELEMEDICINE, SUPPORT, THERAPE, 57),
    ("teleradiologie", "Téléradiologie", "Interprétation à distance d'examens d'imagerie et second avis.",
     "pro", "AB", False, "pack_complementaire", TELEMEDICINE, PROJECTS, THERAPE_SOFTWARE, 63),
    ("dcc", "Dossier Communicant de Cancérologie", "Fiches RCP, programme personnalisé de soins et après-cancer.",
     "pro", "ABD", False, "pack_adherent", HEALTH_IS, PROJECTS, PORTAL, 67),
    ("rramu", "RRAMU", "Système d'information commun des SAMU de la région.",
     "pro", "A", False, "specific_contribution", HEALTH_IS, DIRECTION,
     "Réservé aux établissements concernés par l'aide médicale urgente.", 68),
    ("emage", "e-m@ge", "Réseau régional de transfert d'imagerie (DICOM).",
     "pro", "AB", False, "specific_contribution", INFRASTRUCTURE, INFRA,
     "Après vérification de l'éligibilité et évaluation du besoin.", 69),
    ("elearnes", "e-LearNeS", "Plateforme régionale d'e-learning et de simulation en santé.",
     "pro", "ABCDEF", False, "pack_adherent", INFORMATION, COMMUNICATION, PORTAL, 85),
    ("elearnes-contenus", "e-LearNeS — contenus sur mesure", "Capsules vidéo et serious games réalisés par les prestataires retenus.",
     "catalogue", "ABCDEF", False, "specific_contribution", INFORMATION, COMMUNICATION, "Sur devis.", 209),
    ("portail-info", "Portail d'information santé", "Articles, événements et informations pratiques de santé de la région.",
     "pro", "ABCDEF", False, "pack_adherent", INFORMATION, COMMUNICATION, "Site public ; publication par les adhérents.", 86),
    ("sites-adherents", "Sites adhérents", "Outil de gestion de site internet, hébergement, maintenance et prise en main.",
     "pro", "ABCDEF", False, "pack_adherent", INFORMATION, COMMUNICATION, "Prise en main en une à quatre demi-journées.", 87),
    ("scad-antico", "SCAD-Antico", "Suivi des patients sous anticoagulants coordonné par la CART.",
     "pro", "ABC", False, "pack_adherent", TELEHEALTH, CART, PORTAL, 61),
    ("domoplaies", "Domoplaies", "Téléconsultations programmées pour les plaies complexes ou chroniques.",
     "pro", "ABCDF", False, "pack_adherent", TELEHEALTH, CART, THERAPE, 64),
    ("dpm", "DPM (Data Privacy Manager)", "Registre des traitements, analyses d'impact et pilotage RGPD pour les DPO.",
     "pro", "ABCDF", False, "specific_contribution", PURCHASING, PROJECTS, "Abonnement mensuel (tarif par catégorie).", 90),
    ("bimedoc", "Bimedoc", "Assistant d'analyse pharmaceutique et de conciliation médicamenteuse.",
     "pro", "ABCDF", False, "purchasing_centre", PURCHASING, PROJECTS, BPU, 91),
    ("materiels-telemedecine", "Matériels de télémédecine", "Acquisition, installation, formation et maintenance (équipements, chariots, DMC).",
     "catalogue", "ABCDF", False, "purchasing_centre", PURCHASING, PROJECTS, BPU, 210),
    ("materiel-patient", "Matériel de télémédecine à usage patient", "Tablettes, vélos de réentraînement, logistique, formation, support.",
     "catalogue", "ABCDF", False, "purchasing_centre", PURCHASING, PROJECTS, BPU, 211),
    ("syvik", "SYVIK", "Réseau haut débit sécurisé dédié à la santé.",
     "catalogue", "ABCD", False, "purchasing_centre", PURCHASING, INFRA, BPU, 212),
    ("echange-partage", "Échange et partage", "Espace numérique collaboratif d'échange et de partage des établissements de santé.",
     "catalogue", "A", False, "purchasing_centre", PURCHASING, DIRECTION, BPU, 213),
]


def seed(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    for code, (obtained_by, family, team, access_mode) in EXISTING.items():
        values = {"obtained_by": obtained_by, "family": family, "team": team, "access_mode": access_mode}
        if code in ROUTES:
            values["url_name"] = ROUTES[code]
        Service.objects.filter(code=code).update(**values)
    for (code, name, description, audience, colleges, institutional, obtained_by, family, team, access_mode,
         position) in NEW:
        Service.objects.update_or_create(
            code=code,
            defaults={
                "name": name, "description": description, "audience": audience, "eligible_colleges": colleges,
                "institutional": institutional, "obtained_by": obtained_by, "family": family, "team": team,
                "access_mode": access_mode, "position": position,
            },
        )


def unseed(apps, schema_editor):
    Service = apps.get_model("core", "Service")
    Service.objects.filter(code__in=[row[0] for row in NEW]).delete()
    Service.objects.filter(code__in=list(EXISTING)).update(obtained_by="", family="", team="", access_mode="")
    Service.objects.filter(code__in=list(ROUTES)).update(url_name="")


class Migration(migrations.Migration):
    dependencies = [("core", "0005_service_catalogue_details")]
    operations = [migrations.RunPython(seed, unseed)]
