"""The demo accounts: one per role, so that every screen can be tried.

The roles are recorded here as data until the security issue formalises them
in the permission API; ``DEMO_ROLES`` maps each demo e-mail to its role code.
Professional personas practise in a named organisation of the catalogue
(``organisation`` is an ``OrganisationSpec.key``); patient personas get their
own synthetic identity.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

DEMO_EMAIL_DOMAIN = "demo.enrs.invalid"
DEFAULT_DEMO_PASSWORD = "demo-enrs-2026"


def demo_password() -> str:
    """The shared password of the demo accounts (``ENRS_DEMO_PASSWORD`` overrides the default)."""
    return os.environ.get("ENRS_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


@dataclass(frozen=True)
class Persona:
    role: str
    label: str
    mailbox: str
    kind: str  # accounts.User.Kind value
    try_this: str
    organisation: str = ""
    profession: str = ""
    specialty: str = ""
    mode: str = ""
    female: bool = True
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def email(self) -> str:
        return f"{self.mailbox}@{DEMO_EMAIL_DOMAIN}"

    @property
    def is_professional(self) -> bool:
        return bool(self.profession)


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "medecin_generaliste", _("Médecin généraliste (MSP du Bocage, collège B)"), "generaliste", "pro",
        _("Annuaire : rechercher un confrère ; accueil professionnel et services du collège B."),
        organisation="msp-14762", profession="10", specialty="SM54", mode="L", female=False,
    ),
    Persona(
        "medecin_hospitalier", _("Médecin hospitalier (Centre hospitalier de Lisieux, collège A)"), "hospitalier",
        "pro", _("Annuaire et services du collège A (téléexpertise, e-RCP à venir)."),
        organisation="ch-lisieux-site-principal", profession="10", specialty="SM04", mode="S",
    ),
    Persona(
        "infirmier_ehpad", _("Infirmière en EHPAD (EHPAD Les Tilleuls, collège C)"), "infirmiere.ehpad", "pro",
        _("Accueil professionnel du collège C ; télémédecine en EHPAD (à venir)."),
        organisation="ehpad-14047", profession="60", mode="S",
    ),
    Persona(
        "coordinateur_dac", _("Coordinatrice d'appui (DAC 14, collège D)"), "coordination.dac", "pro",
        _("Annuaire ; parcours et dossier de coordination (à venir)."),
        organisation="dac-14", profession="60", mode="S",
    ),
    Persona(
        "referent_structure", _("Référent de comptes de structure (CH de Lisieux)"), "referent.structure", "pro",
        _("Gestion des comptes de sa structure (à venir)."), organisation="ch-lisieux",
    ),
    Persona(
        "identitovigilance", _("Référente identitovigilance (cellule régionale)"), "identitovigilance", "agency",
        _("Identitovigilance : listes de travail, comparaison et fusion des doublons potentiels."),
    ),
    Persona(
        "analyste_observatoire", _("Analyste de l'observatoire"), "observatoire", "agency",
        _("Tableaux de bord Pilot-e de l'observatoire (à venir)."), female=False,
    ),
    Persona(
        "administrateur", _("Administrateur de l'agence"), "admin", "agency",
        _("Back-office /admin/ : annuaire, comptes, services."), female=False, is_staff=True, is_superuser=True,
    ),
    Persona(
        "patient", _("Patiente"), "patiente", "patient", _("Espace patient : accueil et informations."),
    ),
    Persona(
        "patient", _("Patient"), "patient", "patient", _("Espace patient : accueil et informations."), female=False,
    ),
)

DEMO_ROLES: dict[str, str] = {persona.email: persona.role for persona in PERSONAS}
