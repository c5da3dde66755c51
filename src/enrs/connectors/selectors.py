"""Reads of the connectors app."""

from __future__ import annotations

from enrs.connectors.models import Connector


def active_connector_for_application(application) -> Connector | None:
    """The active connector behind an OAuth2 application, with its organisation, or None."""
    return (
        Connector.objects.select_related("organisation", "application")
        .filter(application_id=application.pk, active=True)
        .first()
    )


def may_act_for(connector: Connector, organisation) -> bool:
    """A connector acts for its own organisation and the establishments of that legal entity."""
    return connector.organisation_id in {organisation.pk, organisation.legal_entity_id}
