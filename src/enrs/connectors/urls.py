"""OAuth2 endpoints for connectors: only the token and revocation views.

No authorization endpoint: connectors use the client-credentials grant only,
so there is no user consent screen to expose.
"""

from django.urls import path

from enrs.connectors import views

app_name = "oauth"

urlpatterns = [
    path("token/", views.ConnectorTokenView.as_view(), name="token"),
    path("revoke_token/", views.ConnectorRevokeTokenView.as_view(), name="revoke"),
]
