"""The membership condition of ``enrs.core.permissions.service_open``.

Registered with ``register_service_check`` at start-up, so that callers keep
calling ``service_open(organisation_or_user, code)`` unchanged. By how the
service is obtained (``core.Service.obtained_by``):

- empty (no condition recorded) or institutional: open (the collège check of
  core already applied);
- pack adhérent: the organisation has a live membership — admitted, or pending
  since « dès réception du courrier de demande d'adhésion, votre établissement
  peut bénéficier des services » — in a collège the service accepts;
- pack complémentaire: the same, plus an ongoing pack complémentaire order;
- specific contribution / purchasing centre: the same, plus an ongoing order of
  the matching offer (e-m@ge, DPM); services without a priced offer (RRAMU,
  purchasing-centre contracts) are opened by the agency, case by case, and stay
  closed here.

Agency administrators see every service (as for the collèges in core).
"""

from __future__ import annotations

from enrs.core.models import Service
from enrs.membership import selectors
from enrs.membership.models import Product

NO_CONDITION = {"", Service.Obtained.INSTITUTIONAL}


def _organisation_ids(subject) -> set[int] | None:
    """Organisations behind the subject; ``None`` means "agency administrator: no restriction"."""
    if hasattr(subject, "is_authenticated"):
        if selectors.is_agency_admin(subject):
            return None
        return selectors.organisation_ids_of_user(subject)
    return {subject.pk} if subject.pk else set()


def membership_allows(subject, service: Service) -> bool:
    if service.obtained_by in NO_CONDITION or service.institutional:
        return True
    organisation_ids = _organisation_ids(subject)
    if organisation_ids is None:
        return True
    members = [m.pk for m in selectors.live_members_of(organisation_ids) if m.college in service.eligible_colleges]
    if not members:
        return False
    if service.obtained_by == Service.Obtained.PACK_ADHERENT:
        return True
    if service.obtained_by == Service.Obtained.PACK_COMPLEMENTAIRE:
        return selectors.active_orders(members, Product.PACK).exists()
    product = selectors.PRODUCT_FOR_SERVICE.get(service.code)
    return product is not None and selectors.active_orders(members, product).exists()
