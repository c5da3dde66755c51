"""django-oauth-toolkit validator: only active connectors may obtain tokens."""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator

from enrs.connectors.selectors import active_connector_for_application


class ConnectorOAuth2Validator(OAuth2Validator):
    def _load_application(self, client_id, request):
        # An application without an active connector (deactivated, or created by
        # hand in the OAuth2 admin) is answered like an unknown client.
        application = super()._load_application(client_id, request)
        if application is not None and active_connector_for_application(application) is None:
            request.client = None
            return None
        return application
