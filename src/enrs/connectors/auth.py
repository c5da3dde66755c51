"""django-ninja authentication for connectors: an OAuth2 Bearer token checked by DOT.

``ConnectorToken(scopes=[...])`` answers:
- 401 when the token is missing, unknown, expired, revoked or its connector
  deactivated (``None`` lets ninja raise ``AuthenticationError``);
- 403 with a French message naming the missing scopes when the token is valid
  but was not granted all of them;
- otherwise sets ``request.auth`` to the ``Connector`` (organisation loaded),
  with ``granted_scopes`` holding the token's scopes.

Whether the connector may act on a given object (its organisation) is the
route's business: see ``selectors.may_act_for``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer
from oauth2_provider.oauth2_backends import get_oauthlib_core

from enrs.connectors.models import Connector
from enrs.connectors.scopes import unknown_scopes
from enrs.connectors.selectors import active_connector_for_application

log = logging.getLogger(__name__)


class ConnectorToken(HttpBearer):
    def __init__(self, scopes: Iterable[str] = ()) -> None:
        self.scopes = tuple(scopes)
        if unknown := unknown_scopes(self.scopes):
            raise ValueError(f"unknown scopes required by a route: {unknown}")
        super().__init__()

    def authenticate(self, request, token: str) -> Connector | None:
        access_token = _valid_access_token(request)
        if access_token is None:
            return None
        connector = active_connector_for_application(access_token.application)
        if connector is None:
            return None
        if not access_token.allow_scopes(self.scopes):
            missing = sorted(set(self.scopes) - set(access_token.scope.split()))
            log.info("connector %s refused: missing scopes %s", connector.pk, missing)
            raise HttpError(403, _("Portée insuffisante : ce jeton n'a pas la portée %(scopes)s.") % {"scopes": ", ".join(missing)})
        connector.granted_scopes = frozenset(access_token.scope.split())
        return connector


def _valid_access_token(request):
    """The unexpired, unrevoked DOT access token of the request, whatever its scopes, or None."""
    valid, oauthlib_request = get_oauthlib_core().verify_request(request, scopes=[])
    return oauthlib_request.access_token if valid else None
