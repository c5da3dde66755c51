"""Nomenclatures of the directory (ANS NOS), kept as data.

TRE_G15-ProfessionSante (OID 1.2.250.1.71.1.2.7) for professions, and the
TRE_R38-SpecialiteOrdinale codes we need for specialties. Labels are the
official French labels. See shared/reference/fr-interop.md §2.
"""

G15_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
R38_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"

PROFESSIONS: dict[str, str] = {
    "10": "Médecin",
    "21": "Pharmacien",
    "26": "Audioprothésiste",
    "28": "Opticien-Lunetier",
    "40": "Chirurgien-Dentiste",
    "50": "Sage-Femme",
    "60": "Infirmier",
    "69": "Infirmier psychiatrique",
    "70": "Masseur-Kinésithérapeute",
    "80": "Pédicure-Podologue",
    "81": "Orthoprothésiste",
    "82": "Podo-Orthésiste",
    "83": "Orthopédiste-Orthésiste",
    "84": "Oculariste",
    "85": "Épithésiste",
    "86": "Technicien de laboratoire médical",
    "91": "Orthophoniste",
    "92": "Orthoptiste",
    "93": "Psychologue",
    "94": "Ergothérapeute",
    "95": "Diététicien",
    "96": "Psychomotricien",
    "98": "Manipulateur ERM",
}

# A subset of TRE_R38 (specialités ordinales) covering the demo region and the
# specialties the other services search on; unknown codes are kept with the
# label the source file gives (the full table is loaded when available).
SPECIALTIES: dict[str, str] = {
    "SM01": "Anatomie et cytologie pathologiques",
    "SM02": "Anesthésie-réanimation",
    "SM03": "Biologie médicale",
    "SM04": "Cardiologie et maladies vasculaires",
    "SM05": "Chirurgie générale",
    "SM08": "Chirurgie orthopédique et traumatologie",
    "SM15": "Dermatologie et vénéréologie",
    "SM16": "Endocrinologie et métabolisme",
    "SM19": "Gynécologie médicale",
    "SM20": "Gynécologie-obstétrique",
    "SM24": "Gastro-entérologie et hépatologie",
    "SM26": "Médecine du travail",
    "SM28": "Médecine interne",
    "SM30": "Médecine physique et de réadaptation",
    "SM32": "Neurologie",
    "SM33": "Néphrologie",
    "SM35": "Oncologie médicale",
    "SM38": "Ophtalmologie",
    "SM39": "Oto-rhino-laryngologie",
    "SM40": "Pédiatrie",
    "SM41": "Pneumologie",
    "SM42": "Psychiatrie",
    "SM44": "Radiodiagnostic et imagerie médicale",
    "SM47": "Rhumatologie",
    "SM53": "Médecine d'urgence",
    "SM54": "Médecine générale",
    "SM57": "Gériatrie",
}


def profession_label(code: str) -> str | None:
    return PROFESSIONS.get(code)


def specialty_label(code: str) -> str | None:
    return SPECIALTIES.get(code)
