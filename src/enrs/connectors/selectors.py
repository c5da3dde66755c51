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


def acted_for_organisation_ids(connector: Connector) -> set[int]:
    """The organisations ``may_act_for`` accepts: the connector's own and its legal entity's establishments."""
    organisations = type(connector.organisation).objects  # the directory's model, without importing the directory
    ids = set(organisations.filter(legal_entity_id=connector.organisation_id).values_list("pk", flat=True))
    return ids | {connector.organisation_id}
