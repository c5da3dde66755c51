"""Account requests of a member structure: filed by its referent or the agency, decided by its referent.

Approval opens the account (``enrs.accounts.provisioning``): the request names the professional by
his RPPS number, the directory must know him as practising in the member's structure (or one of
its establishments), and his account is created linked to his directory record, so that his
structures, services and habilitations come from the directory. Approval and account creation
are one unit of work: an account that cannot be opened leaves the request pending, with the
reason on its field.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.accounts import provisioning
from enrs.core.validators import validate_rpps
from enrs.directory import selectors as directory_selectors
from enrs.membership import selectors
from enrs.membership.models import AccountRequest, Member
from enrs.membership.services import _error, _require_live


def _clean_rpps(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return validate_rpps(value)
    except ValidationError as error:
        raise ValidationError({"rpps": error.messages}) from error


@transaction.atomic
def request_account(member: Member, *, first_name: str, last_name: str, email: str, profession: str, rpps: str = "",
                    by=None) -> AccountRequest:
    _require_live(member)
    values = {"first_name": first_name, "last_name": last_name, "email": email, "profession": profession}
    errors = {f: [_("Ce champ est obligatoire.")] for f, v in values.items() if not (v or "").strip()}
    if errors:
        raise ValidationError(errors)
    rpps = _clean_rpps(rpps)
    if member.account_requests.filter(email__iexact=email.strip(), status=AccountRequest.Status.PENDING).exists():
        raise _error("email", _("Une demande est déjà en cours pour cette adresse."))
    return AccountRequest.objects.create(member=member, requested_by=by, rpps=rpps, **{k: v.strip() for k, v in values.items()})


def _professional_of(request: AccountRequest):
    """The directory professional the request names, practising in the member's structure."""
    if not request.rpps:
        raise _error("rpps", _("Indiquez le numéro RPPS du professionnel : le compte est rattaché à sa fiche de l'annuaire."))
    professional = directory_selectors.active_professional_by_idnat("8" + request.rpps)
    if professional is None:
        raise _error("rpps", _("Aucun professionnel actif de l'annuaire ne porte le numéro RPPS %(rpps)s.") % {"rpps": request.rpps})
    organisation = request.member.organisation
    places = directory_selectors.organisations_of(professional)
    if not any(place.pk == organisation.pk or place.legal_entity_id == organisation.pk for place in places):
        raise _error("rpps", _("Selon l'annuaire, %(name)s n'exerce pas dans %(structure)s : mettez d'abord à jour sa situation d'exercice.")
                     % {"name": f"{professional.first_name} {professional.last_name}", "structure": organisation.name})
    return professional


@transaction.atomic
def decide_account_request(request: AccountRequest, *, approve: bool, by, reason: str = "", rpps: str = "") -> AccountRequest:
    """Handled by the member's account referent only; ``rpps`` completes a request filed without it."""
    request = AccountRequest.objects.select_for_update().select_related("member", "member__organisation").get(pk=request.pk)
    if not selectors.is_account_referent(by, request.member.organisation_id):
        raise PermissionDenied(_("Seul le référent des comptes de la structure traite ces demandes."))
    if request.status != AccountRequest.Status.PENDING:
        raise _error("request", _("Cette demande est déjà traitée."))
    if not approve and not (reason or "").strip():
        raise _error("reason", _("Indiquez le motif du refus."))
    if approve:
        request.rpps = _clean_rpps(rpps) or request.rpps
        professional = _professional_of(request)
        request.account = provisioning.open_professional_account(professional, email=request.email, structure=request.member.name)
    request.status = AccountRequest.Status.APPROVED if approve else AccountRequest.Status.REFUSED
    request.handled_by, request.handled_at, request.reason = by, timezone.now(), (reason or "").strip()
    request.save(update_fields=["status", "handled_by", "handled_at", "reason", "rpps", "account"])
    return request
