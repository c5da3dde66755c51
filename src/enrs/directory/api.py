"""JSON API of the directory (thin: rules in services, reads in selectors).

Agency staff and connectors create or update organisations and professionals
through the same validated upserts as the importers; errors name each field
in French (HTTP 422).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.security import SessionAuth, SessionAuthIsStaff

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
