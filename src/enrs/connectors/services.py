"""Writes of the connectors app: the only place connector rules live.

The plaintext client secret is returned once by ``register_connector`` and
``rotate_secret`` and never stored: django-oauth-toolkit hashes it on save
(``hash_client_secret``) with the first of ``PASSWORD_HASHERS``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model, get_application_model, revoke_access_token

from enrs.connectors.models import Connector
from enrs.connectors.scopes import unknown_scopes

Application = get_application_model()


def clean_scopes(names) -> list[str]:
    names = list(dict.fromkeys(names or []))
    if not names:
        raise ValidationError({"allowed_scopes": [_("Choisissez au moins une portée.")]})
    if unknown := unknown_scopes(names):
        raise ValidationError({"allowed_scopes": [_("Portée inconnue : %(scopes)s.") % {"scopes": ", ".join(unknown)}]})
    return names


@transaction.atomic
def register_connector(connector: Connector, *, created_by=None) -> str:
    """Store a new connector with its confidential client-credentials application; return the secret once."""
    if not connector.name.strip():
        raise ValidationError({"name": [_("Le nom du connecteur est obligatoire.")]})
    connector.allowed_scopes = clean_scopes(connector.allowed_scopes)
    secret = generate_client_secret()
    connector.application = Application.objects.create(
        name=f"Connecteur : {connector.name}"[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
        user=None,
    )
    connector.created_by = created_by
    connector.save()
    return secret


def create_connector(*, name: str, organisation, scopes, created_by=None) -> tuple[Connector, str]:
    connector = Connector(name=name, organisation=organisation, allowed_scopes=list(scopes))
    secret = register_connector(connector, created_by=created_by)
    return connector, secret


@transaction.atomic
def rotate_secret(connector: Connector) -> str:
    """A new secret (returned once); the old one and every token issued with it stop working."""
    secret = generate_client_secret()
    application = connector.application
    application.client_secret = secret
    application.save(update_fields=["client_secret", "updated"])
    revoke_tokens(connector)
    return secret


@transaction.atomic
def update_connector(connector: Connector, *, name: str | None = None, scopes=None, active: bool | None = None) -> Connector:
    """Change a connector; narrowing its scopes or deactivating it revokes the tokens already issued."""
    previous = Connector.objects.select_for_update().get(pk=connector.pk)
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": [_("Le nom du connecteur est obligatoire.")]})
        connector.name = name
    if scopes is not None:
        connector.allowed_scopes = clean_scopes(scopes)
    if active is not None:
        connector.active = active
    connector.save()
    if not connector.active or not set(previous.allowed_scopes) <= set(connector.allowed_scopes):
        revoke_tokens(connector)
    return connector


def revoke_tokens(connector: Connector) -> int:
    tokens = list(get_access_token_model().objects.filter(application_id=connector.application_id))
    for token in tokens:
        revoke_access_token(token)
    return len(tokens)
