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
from enrs.connectors.scopes import OBSERVATORY_ANTIBIO, OBSERVATORY_RPU
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


class AntibioReportOut(Schema):
    detail: str
    fichier: int
    type: str
    lignes: int
    integrees: int
    rejetees: int
    erreurs: list[dict]


@router.post(
    "/antibio",
    auth=ConnectorToken(scopes=[OBSERVATORY_ANTIBIO]),
    response={200: AntibioReportOut, 403: ErrorOut, 413: ErrorOut, 422: AntibioReportOut},
    summary="Envoyer un fichier NormAntiBio (CSV consommation ou résistance) de l'organisation du connecteur "
            "(jeton OAuth2, portée antibio:depot)",
)
def send_antibio(request):
    """Raw CSV body (the templates of ``/observatoire/antibio/``). Every FINESS of the file must be the
    connector's organisation or an establishment of its legal entity, otherwise 403 and nothing is
    stored. 200 with the rejected lines and their reasons when the file was integrated, 422 when
    the whole file was refused (encoding, header, no data line…)."""
    data = request.body
    if len(data) > MAX_UPLOAD_BYTES:
        raise HttpError(413, _("Fichier trop volumineux (200 Mo au plus)."))
    connector = request.auth
    try:
        source = services.import_antibio(
            data, filename=request.headers.get("X-Filename", "antibio.csv")[:255], channel=RpuFile.Channel.API,
            may_send=lambda organisation: may_act_for(connector, organisation), refuse_unauthorised=True,
        )
    except services.AntibioNotAuthorised as refused:
        return Status(403, {"detail": refused.message})
    errors = [{"ligne": line.number, **error} for line in source.rejected_lines.order_by("number")[:10_000] for error in line.errors]
    body = {"fichier": source.pk, "type": source.kind, "lignes": source.lines, "integrees": source.accepted,
            "rejetees": source.rejected, "erreurs": errors}
    if source.status == RpuFile.Status.REJECTED:
        return Status(422, {"detail": _("Fichier refusé : %(reason)s") % {"reason": source.error_message}, **body})
    return Status(200, {"detail": _("Fichier intégré."), **body})
