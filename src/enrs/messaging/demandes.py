"""e-Demande writes: request types as data, requests, status changes, comments.

A request type's form is data (``RequestType.fields``); ``validate_definition``
refuses a malformed definition and ``clean_data`` validates what a user typed
against it, field by field, in French. Status changes follow ``TRANSITIONS``:
nouvelle → affectée → en cours → terminée, or refusée / annulée; every change
is a ``RequestEvent`` (who, when, from, to, note); any other change is refused.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.core import permissions
from enrs.messaging import attachments as attachment_store
from enrs.messaging import notifying, selectors
from enrs.messaging.models import Request, RequestComment, RequestEvent, RequestType

Status = Request.Status
FIELD_TYPES = ("text", "textarea", "choice", "date", "integer")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.ASSIGNED, Status.REFUSED, Status.CANCELLED}),
    Status.ASSIGNED: frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.REFUSED, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.DONE, Status.REFUSED, Status.CANCELLED}),
    Status.DONE: frozenset(),
    Status.REFUSED: frozenset(),
    Status.CANCELLED: frozenset(),
}
MAX_TEXT = 5_000


class RequestError(ValidationError):
    """A refused e-Demande action, with a French message (a dict of field errors for forms)."""


# --- Request types -------------------------------------------------------------------------------
def _definition_errors(index: int, field) -> list[str]:
    where = _("champ n° %(n)d") % {"n": index}
    if not isinstance(field, dict):
        return [_("%(where)s : une définition de champ est attendue.") % {"where": where}]
    errors = []
    if not NAME_RE.match(str(field.get("name", ""))):
        errors.append(_("%(where)s : nom technique invalide (minuscules, chiffres, « _ »).") % {"where": where})
    if not str(field.get("label", "")).strip():
        errors.append(_("%(where)s : libellé manquant.") % {"where": where})
    if field.get("type") not in FIELD_TYPES:
        errors.append(_("%(where)s : type inconnu « %(type)s ».") % {"where": where, "type": field.get("type")})
    choices = field.get("choices")
    if field.get("type") == "choice" and not (
        isinstance(choices, list) and choices and all(isinstance(c, str) and c.strip() for c in choices)
    ):
        errors.append(_("%(where)s : une liste de choix non vide est attendue.") % {"where": where})
    if "required" in field and not isinstance(field["required"], bool):
        errors.append(_("%(where)s : « required » vaut true ou false.") % {"where": where})
    return errors


def validate_definition(fields) -> list[dict]:
    """Raise ``RequestError`` listing every problem of a form definition; return it unchanged."""
    if not isinstance(fields, list):
        raise RequestError(_("La définition du formulaire doit être une liste de champs."))
    errors = [e for i, field in enumerate(fields, start=1) for e in _definition_errors(i, field)]
    names = [f.get("name") for f in fields if isinstance(f, dict)]
    duplicates = sorted({n for n in names if names.count(n) > 1 and n})
    if duplicates:
        errors.append(_("Noms de champ en double : %(names)s.") % {"names": ", ".join(duplicates)})
    if errors:
        raise RequestError(errors)
    return fields


def save_request_type(*, code: str, label: str, fields, due_days: int = 7, about_patient: bool = True,
                      description: str = "") -> RequestType:
    validate_definition(fields)
    request_type, _created = RequestType.objects.update_or_create(
        code=code, defaults={"label": label, "fields": fields, "due_days": due_days,
                             "about_patient": about_patient, "description": description, "active": True},
    )  # fmt: skip
    return request_type


# --- Data validation -------------------------------------------------------------------------------
def _clean_value(field: dict, raw) -> object:
    kind, label = field["type"], field["label"]
    value = "" if raw is None else str(raw).strip()
    if not value:
        if field.get("required"):
            raise ValidationError(_("« %(label)s » est obligatoire.") % {"label": label})
        return None
    if len(value) > MAX_TEXT:
        raise ValidationError(_("« %(label)s » dépasse %(max)d caractères.") % {"label": label, "max": MAX_TEXT})
    if kind == "choice" and value not in field["choices"]:
        raise ValidationError(_("« %(label)s » : choix inconnu « %(value)s ».") % {"label": label, "value": value})
    if kind == "integer":
        if not re.fullmatch(r"-?\d{1,12}", value):
            raise ValidationError(_("« %(label)s » : un nombre entier est attendu.") % {"label": label})
        return int(value)
    if kind == "date":
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValidationError(_("« %(label)s » : date invalide (AAAA-MM-JJ attendu).") % {"label": label}) from None
    return value


def clean_data(request_type: RequestType, raw: dict) -> dict:
    """Validate ``raw`` against the type's fields; raise ``RequestError({field: message})``."""
    data, errors = {}, {}
    for field in request_type.fields:
        try:
            value = _clean_value(field, raw.get(field["name"]))
        except ValidationError as error:
            errors[field["name"]] = error.messages
            continue
        if value is not None:
            data[field["name"]] = value
    if errors:
        raise RequestError(errors)
    return data


# --- Requests --------------------------------------------------------------------------------------
def create_request(user, request_type: RequestType, raw: dict, *, to_user=None, to_team=None, to_organisation=None,
                   patient=None, professional=None, due_date: dt.date | None = None) -> Request:
    if not request_type.active:
        raise RequestError({"request_type": [_("Ce type de demande n'est plus proposé.")]})
    data = clean_data(request_type, raw)
    errors = _addressing_errors(user, request_type, to_user, to_team, to_organisation, patient)
    if errors:
        raise RequestError(errors)
    due_date = due_date or timezone.localdate() + dt.timedelta(days=request_type.due_days)
    with transaction.atomic():
        obj = Request.objects.create(
            request_type=request_type, data=data, created_by=user, due_date=due_date, to_user=to_user,
            to_team=to_team, to_organisation=to_organisation, patient=patient, professional=professional,
        )
        RequestEvent.objects.create(request=obj, actor=user, to_status=Status.NEW)
    notifying.request_event(obj, actor=user, title=_("Nouvelle demande : %(type)s") % {"type": request_type.label})
    return obj


def _addressing_errors(user, request_type, to_user, to_team, to_organisation, patient) -> dict:
    errors = {}
    if sum(x is not None for x in (to_user, to_team, to_organisation)) != 1:
        errors["destinataire"] = [_("Choisissez un seul destinataire : une personne, une équipe ou une structure.")]
    if request_type.about_patient and patient is None:
        errors["patient"] = [_("Ce type de demande porte sur un patient : choisissez-le.")]
    if patient is not None and not permissions.can(user, "read", patient):
        errors["patient"] = [_("Vous n'avez pas accès au dossier de ce patient.")]
    return errors


def _status_label(status: str) -> str:
    return str(Status(status).label)


def _on_addressee_side(user, obj: Request) -> bool:
    """The addressee (person, team member, organisation professional) or the assignee."""
    if user.pk in (obj.to_user_id, obj.assignee_id):
        return True
    addressees = selectors.request_audience(obj)
    return any(u.pk == user.pk for u in addressees if u.pk != obj.created_by_id)


def change_status(user, obj: Request, to_status: str, *, assignee=None, note: str = "") -> Request:
    """Apply one transition; refuse (in French) what ``TRANSITIONS`` or the actor's side forbid."""
    if to_status not in Status.values:
        raise RequestError({"statut": [_("Statut inconnu « %(s)s ».") % {"s": to_status}]})
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=obj.pk)
        _check_transition(user, locked, to_status, assignee, note)
        from_status = locked.status
        locked.status = to_status
        if to_status == Status.ASSIGNED:
            locked.assignee = assignee
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "assignee", "updated_at"])
        RequestEvent.objects.create(request=locked, actor=user, from_status=from_status, to_status=to_status,
                                    note=note.strip()[:MAX_TEXT])  # fmt: skip
    notifying.request_event(
        locked, actor=user, title=_("Demande n° %(n)d : %(status)s") % {"n": locked.pk, "status": _status_label(to_status)},
        body=note.strip()[:500],
    )
    return locked


def _check_transition(user, obj: Request, to_status: str, assignee, note: str) -> None:
    if to_status not in TRANSITIONS[obj.status]:
        raise RequestError({"statut": [
            _("Passage impossible de « %(a)s » à « %(b)s ».") % {"a": _status_label(obj.status), "b": _status_label(to_status)}
        ]})  # fmt: skip
    if to_status == Status.CANCELLED:
        if user.pk != obj.created_by_id:
            raise RequestError({"statut": [_("Seul le demandeur peut annuler sa demande.")]})
        return
    if not _on_addressee_side(user, obj):
        raise RequestError({"statut": [_("Seul un destinataire de la demande peut la traiter.")]})
    if to_status == Status.ASSIGNED:
        if assignee is None:
            raise RequestError({"assignee": [_("Choisissez la personne à qui affecter la demande.")]})
        if not permissions.can(assignee, "read", obj):
            raise RequestError({"assignee": [_("Cette personne ne fait pas partie des destinataires de la demande.")]})
    if to_status in (Status.IN_PROGRESS, Status.DONE) and obj.assignee_id != user.pk:
        raise RequestError({"statut": [_("Seule la personne à qui la demande est affectée peut la faire avancer.")]})
    if to_status == Status.REFUSED and not note.strip():
        raise RequestError({"note": [_("Indiquez le motif du refus.")]})


def add_comment(user, obj: Request, *, body: str = "", data: bytes | None = None, filename: str = "") -> RequestComment:
    body = (body or "").strip()
    if not body and not data:
        raise RequestError({"body": [_("Le commentaire est vide.")]})
    if len(body) > MAX_TEXT:
        raise RequestError({"body": [_("Le commentaire dépasse %(max)d caractères.") % {"max": MAX_TEXT}]})
    attachment = attachment_store.store(user, data, filename) if data else None
    comment = RequestComment.objects.create(request=obj, author=user, body=body, attachment=attachment)
    notifying.request_event(obj, actor=user, title=_("Nouveau commentaire sur la demande n° %(n)d") % {"n": obj.pk})
    return comment
