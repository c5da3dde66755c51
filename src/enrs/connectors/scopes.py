"""The named scopes a connector may be granted, as data.

Each scope is a capability on one service family (``<service>:<capability>``).
Scopes planned for later services are listed in docs/security/connectors.md and
join this table when the service that checks them exists: a scope nothing
checks would only give a false sense of control.

``ConnectorScopes`` is django-oauth-toolkit's scopes backend: the token
endpoint grants only scopes that are both known here and allowed to the
requesting connector.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from oauth2_provider.scopes import BaseScopes

DIRECTORY_READ = "annuaire:lecture"
DIRECTORY_WRITE = "annuaire:ecriture"
IDENTITY_READ = "identite:lecture"
IDENTITY_WRITE = "identite:ecriture"
OFFER_CAPACITY = "offre:capacite"
OBSERVATORY_RPU = "rpu:depot"
OBSERVATORY_ANTIBIO = "antibio:depot"
COORDINATION_EVENTS = "coordination:evenements"  # issue 5
AGENDA_READ = "agenda:lecture"
AGENDA_WRITE = "agenda:ecriture"

SCOPES: dict[str, str] = {
    DIRECTORY_READ: _("Lire la fiche complète (coordonnées comprises) des structures de son organisation"),
    DIRECTORY_WRITE: _("Mettre à jour les coordonnées des structures de son organisation"),
    OFFER_CAPACITY: _("Déclarer les capacités en lits et places des lieux de son organisation (ROR)"),
    IDENTITY_READ: _("Lire les identités patients connues de son organisation et rechercher une identité (Patient/$match)"),
    IDENTITY_WRITE: _("Créer et mettre à jour les identités patients de son organisation (FHIR Patient)"),
    OBSERVATORY_RPU: _("Envoyer les fichiers RPU des services d'urgences de son organisation (observatoire ORU)"),
    OBSERVATORY_ANTIBIO: _("Envoyer les fichiers NormAntiBio (consommation et résistance aux antibiotiques) de son organisation"),
    COORDINATION_EVENTS: _("Signaler les admissions et sorties (FHIR Encounter) et déposer les synthèses de télésurveillance"),
    AGENDA_READ: _("Lire les créneaux et les rendez-vous des agendas de son organisation (FHIR Slot, Appointment)"),
    AGENDA_WRITE: _("Déclarer, annuler et déplacer les rendez-vous des agendas de son organisation (FHIR Appointment)"),
}


def scope_choices() -> list[tuple[str, str]]:
    return [(name, f"{name} — {label}") for name, label in SCOPES.items()]


def unknown_scopes(names) -> list[str]:
    return sorted(set(names) - set(SCOPES))


def _connector_of(application):
    # Imported here: the scopes backend is loaded by DOT settings before apps are ready.
    from enrs.connectors.selectors import active_connector_for_application

    return active_connector_for_application(application) if application is not None else None


class ConnectorScopes(BaseScopes):
    def get_all_scopes(self):
        return {name: str(label) for name, label in SCOPES.items()}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        connector = _connector_of(application)
        return [] if connector is None else [s for s in connector.allowed_scopes if s in SCOPES]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        # A request without ``scope`` gets every scope the connector is allowed (RFC 6749 §3.3).
        return self.get_available_scopes(application, request)
