"""JSON API of the directory (thin: rules in services, reads in selectors).

Agency staff and connectors create or update organisations and professionals
through the same validated upserts as the importers; errors name each field
in French (HTTP 422).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import SessionAuth, SessionAuthIsStaff
from pydantic import ConfigDict

from enrs.connectors.auth import ConnectorToken
from enrs.connectors.scopes import DIRECTORY_READ, DIRECTORY_WRITE
from enrs.connectors.selectors import may_act_for
from enrs.directory import services
from enrs.directory.models import Organisation, Professional

router = Router(tags=["annuaire"])


class ErrorOut(Schema):
    detail: str
    erreurs: list[dict] = []


class OrganisationIn(Schema):
    finess: str | None = Field(None, max_length=9)
    finess_kind: str = Field("", max_length=2)
    siret: str = Field("", max_length=14)
    name: str = Field(..., min_length=1, max_length=255)
    kind: str = Field("AUTRE", max_length=12)
    address_line: str = Field("", max_length=255)
    postal_code: str = Field("", max_length=5)
    city: str = Field("", max_length=120)
    commune_insee: str = Field("", max_length=5)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    college: str = Field("", max_length=1)


class OrganisationOut(Schema):
    id: int
    finess: str | None
    finess_kind: str
    name: str
    kind: str
    commune_insee: str
    departement: str
    city: str
    latitude: Decimal | None
    longitude: Decimal | None
    college: str
    updated_at: dt.datetime


class UpsertOut(Schema):
    status: str
    organisation: OrganisationOut


class ProfessionalOut(Schema):
    id: int
    idnat_ps: str
    rpps: str | None
    adeli: str | None
    last_name: str
    first_name: str
    profession_code: str
    profession_label: str


def _field_errors(exc: ValidationError) -> dict:
    messages = getattr(exc, "message_dict", {"__all__": exc.messages})
    return {
        "detail": _("Données invalides."),
        "erreurs": [{"champ": field, "message": message} for field, items in messages.items() for message in items],
    }


@router.post(
    "/structures",
    auth=SessionAuthIsStaff(),
    response={200: UpsertOut, 201: UpsertOut, 422: ErrorOut},
    summary="Créer ou mettre à jour une structure (clé : FINESS)",
)
def upsert_organisation(request, payload: OrganisationIn):
    data = payload.dict()
    data["source"] = "api"
    try:
        result = services.upsert_organisation(data)
    except ValidationError as exc:
        return 422, _field_errors(exc)
    return (201 if result.status == "created" else 200), {"status": result.status, "organisation": result.obj}


@router.get("/structures/{finess}", auth=SessionAuth(), response=OrganisationOut)
def organisation_by_finess(request, finess: str):
    return get_object_or_404(Organisation, finess=finess.upper())


@router.get("/professionnels/{idnat_ps}", auth=SessionAuth(), response=ProfessionalOut)
def professional_by_idnat(request, idnat_ps: str):
    return get_object_or_404(Professional, idnat_ps=idnat_ps)


# --- Connectors (OAuth2 client credentials, scoped to one organisation) -----------
# A connector reads and updates the contact fields of its own organisation and of
# that legal entity's establishments; any other structure answers 403.
PHONE_RE = re.compile(r"^\+?[0-9]{9,15}$")


class ContactsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(None, max_length=20)
    email: str | None = Field(None, max_length=254)
    mssante_address: str | None = Field(None, max_length=254)


class OrganisationContactsOut(OrganisationOut):
    phone: str
    email: str
    mssante_address: str


def _connector_structure(request, finess: str) -> Organisation:
    organisation = get_object_or_404(Organisation, finess=finess.upper())
    if not may_act_for(request.auth, organisation):
        raise HttpError(403, _("Accès refusé : cette structure n'appartient pas à l'organisation du connecteur."))
    return organisation


def _clean_contacts(changes: dict) -> dict:
    """Strip the values and check phone and e-mail, which the directory upsert does not check on update."""
    cleaned = {field: value.strip() for field, value in changes.items()}
    errors: dict[str, list[str]] = {}
    if not cleaned:
        errors["__all__"] = [_("Aucune coordonnée à modifier (téléphone, e-mail ou adresse MSSanté).")]
    if cleaned.get("phone") and not PHONE_RE.match(re.sub(r"[ .\-]", "", cleaned["phone"])):
        errors["phone"] = [_("Numéro de téléphone invalide (10 chiffres, ou +33 suivi de 9 chiffres).")]
    if cleaned.get("email"):
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors["email"] = [_("Adresse e-mail invalide.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


@router.get(
    "/structures/{finess}/connecteur",
    auth=ConnectorToken(scopes=[DIRECTORY_READ]),
    response={200: OrganisationContactsOut, 403: ErrorOut, 404: ErrorOut},
    summary="Fiche complète d'une structure de l'organisation du connecteur (jeton OAuth2)",
)
def organisation_for_connector(request, finess: str):
    return _connector_structure(request, finess)


@router.patch(
    "/structures/{finess}",
    auth=ConnectorToken(scopes=[DIRECTORY_WRITE]),
    response={200: OrganisationContactsOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Mettre à jour les coordonnées d'une structure de l'organisation du connecteur (jeton OAuth2)",
)
def update_organisation_contacts(request, finess: str, payload: ContactsIn):
    organisation = _connector_structure(request, finess)
    try:
        changes = _clean_contacts(payload.dict(exclude_unset=True, exclude_none=True))
        result = services.upsert_organisation({"finess": organisation.finess, "name": organisation.name, **changes})
    except ValidationError as exc:
        return Status(422, _field_errors(exc))
    return result.obj
