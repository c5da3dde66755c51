"""JSON API of the observatory (thin): an establishment's system sends its daily RPU file.

``POST /api/observatoire/rpu`` with the raw XML file as body and a connector token
(OAuth2 client credentials) holding the ``rpu:depot`` scope. The FINESS in
the file must be the connector's organisation or one of its legal entity's
establishments, otherwise the file is refused (403) and nothing is stored.
Answers the per-file quality report: 200 when the file was integrated (even with
quarantined passages), 422 when the whole file was refused.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from enrs.connectors.auth import ConnectorToken
from enrs.connectors.scopes import OBSERVATORY_RPU
from enrs.connectors.selectors import may_act_for
from enrs.observatory import services
from enrs.observatory.models import RpuFile
from enrs.observatory.store import StoreBusy

router = Router(tags=["observatoire"])
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class ErrorOut(Schema):
    detail: str
    erreurs: list[dict] = []


class ReportOut(Schema):
    detail: str
    fichier: int
    finess: str | None
    records: int
    accepted: int
    quarantined: int
    errors: list[dict]
    completeness: dict
    conformity: dict


@router.post(
    "/rpu",
    auth=ConnectorToken(scopes=[OBSERVATORY_RPU]),
    response={200: ReportOut, 403: ErrorOut, 413: ErrorOut, 422: ReportOut, 503: ErrorOut},
    summary="Envoyer un fichier RPU (XML OSCOUR) de l'organisation du connecteur (jeton OAuth2, portée rpu:depot)",
)
def send_rpu(request):
    data = request.body
    if len(data) > MAX_UPLOAD_BYTES:
        raise HttpError(413, _("Fichier trop volumineux (200 Mo au plus)."))
    connector = request.auth
    checked = services.check_bytes(data, may_send=lambda organisation: may_act_for(connector, organisation))
    if checked.outcome.file_error is not None and checked.outcome.file_error.code == "finess_non_autorise":
        return Status(403, {"detail": checked.outcome.file_error.message})
    try:
        rpu_file = services.store_checked(
            checked, filename=request.headers.get("X-Filename", "rpu.xml")[:255], channel=RpuFile.Channel.API, connector=connector
        )
    except StoreBusy:
        return Status(503, {"detail": _("La base analytique est occupée ; renvoyez le fichier dans quelques minutes.")})
    body = services.report(checked.outcome)
    if rpu_file.status == RpuFile.Status.REJECTED:
        return Status(422, {"detail": _("Fichier refusé : %(reason)s") % {"reason": rpu_file.error_message}, "fichier": rpu_file.pk, **body})
    return Status(200, {"detail": _("Fichier intégré."), "fichier": rpu_file.pk, **body})
