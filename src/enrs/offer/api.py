"""JSON API of the care offer (thin: rules in services, reads in selectors).

An establishment's system pushes its capacity figures with a connector token
(OAuth2 client credentials) holding the ``offre:capacite`` scope; the place must
belong to the connector's organisation (or to an establishment of that legal
entity), otherwise 403. All figures of one request are stored or none.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict

from enrs.connectors.auth import ConnectorToken
from enrs.connectors.scopes import OFFER_CAPACITY
from enrs.connectors.selectors import may_act_for
from enrs.offer import selectors, services

router = Router(tags=["offre de soins"])


class ErrorOut(Schema):
    detail: str
    erreurs: list[dict] = []


class CapacityIn(Schema):
    model_config = ConfigDict(extra="forbid")

    capacity_type: str = Field(..., max_length=20, description="TRE_R329 NatureCapacite (01 lit, 02 place)")
    status: str = Field(..., max_length=20, description="TRE_R330 TypeStatutCapacite (02 disponible…)")
    count: int = Field(..., description="nombre de lits ou places (≥ 0)")
    updated_at: dt.datetime = Field(..., description="date de constat, avec fuseau horaire")
    temporality: str = Field("CUR", max_length=20)
    gender: str | None = Field(None, max_length=20)
    crisis_type: str | None = Field(None, max_length=20)
    temporary_assignment: str | None = Field(None, max_length=20)


class CapacitiesIn(Schema):
    model_config = ConfigDict(extra="forbid")

    capacites: list[CapacityIn] = Field(..., min_length=1, max_length=200)


class CapacityOut(Schema):
    capacity_type: str
    status: str
    temporality: str
    count: int
    updated_at: dt.datetime
    result: str


class CapacitiesOut(Schema):
    place: str
    capacites: list[CapacityOut]


def _errors(exc: ValidationError) -> dict:
    return {
        "detail": _("Données invalides."),
        "erreurs": [{"champ": field, "message": message} for field, items in selectors.validation_messages(exc).items() for message in items],
    }


@router.post(
    "/lieux/{identifier}/capacites",
    auth=ConnectorToken(scopes=[OFFER_CAPACITY]),
    response={200: CapacitiesOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Déclarer les capacités d'un lieu de l'organisation du connecteur (jeton OAuth2, portée offre:capacite)",
)
def push_capacities(request, identifier: str, payload: CapacitiesIn):
    place = selectors.place_by_identifier(identifier)
    if place is None:
        raise HttpError(404, _("Lieu inconnu : « %(id)s ».") % {"id": identifier[:64]})
    if not may_act_for(request.auth, place.establishment):
        raise HttpError(403, _("Accès refusé : ce lieu n'appartient pas à l'organisation du connecteur."))
    rows = [{**row.dict(), "source_type": "FLUX"} for row in payload.capacites]
    try:
        results = services.update_capacities(place, rows, channel="api")
    except ValidationError as exc:
        return Status(422, _errors(exc))
    return {
        "place": place.identifier,
        "capacites": [
            {"capacity_type": r.obj.capacity_type.code, "status": r.obj.status.code, "temporality": r.obj.temporality.code,
             "count": r.obj.count, "updated_at": r.obj.updated_at, "result": r.status}
            for r in results
        ],
    }
