"""Account rules: who may log in through Pro Santé Connect, and what a login leaves in the session.

PSC proves *who* the professional is (CPS card or e-CPS); the regional directory says
whether we know him. Only professionals of the directory get an account: an unknown
national identifier is refused, never turned into a fresh account.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from enrs.directory import selectors as directory_selectors
from enrs.directory import services as directory_services
from enrs.directory.models import Professional

PSC_PROVIDER_ID = "psc"
SESSION_ACR = "enrs_auth_acr"
SESSION_METHOD = "enrs_auth_method"
SESSION_LOGIN_AT = "enrs_login_at"
SESSION_LAST_SEEN = "enrs_last_seen"
SESSION_MFA_ENROLMENT = "enrs_mfa_enrolment_required"


class PscLoginRefused(Exception):
    """The PSC identity cannot open an ENRS session; ``str(error)`` is the French reason."""


@dataclass(frozen=True)
class PscIdentity:
    idnat_ps: str
    acr: str
    given_name: str
    family_name: str
    email: str


def psc_identity(extra_data: dict) -> PscIdentity:
    """Read the identity out of allauth's ``extra_data`` (userinfo and ID token claims).

    The identifier claim is ``ENRS_PSC_ID_CLAIM`` (PSC: ``SubjectNameID``), with
    ``preferred_username`` as a fallback; the eIDAS level is the ID token's ``acr``.
    """
    userinfo = extra_data.get("userinfo") or {}
    id_token = extra_data.get("id_token") or {}
    claims = {**id_token, **userinfo}
    idnat = claims.get(settings.ENRS_PSC_ID_CLAIM) or claims.get("preferred_username") or ""
    if not isinstance(idnat, str) or not idnat.strip():
        raise PscLoginRefused(_("Pro Santé Connect n'a pas transmis votre identifiant national (idNatPS)."))
    return PscIdentity(
        idnat_ps=idnat.strip(),
        acr=str(id_token.get("acr") or claims.get("acr") or ""),
        given_name=str(claims.get("given_name") or ""),
        family_name=str(claims.get("family_name") or ""),
        email=str(claims.get("email") or ""),
    )


def _eidas_rank(acr: str) -> int | None:
    if acr.startswith("eidas") and acr[5:].isdigit():
        return int(acr[5:])
    return None


def check_acr(acr: str) -> None:
    """Refuse a login below the level asked in ``acr_values``.

    The authorization request can be tampered with (``auth_params`` in the login
    URL, a proxy): the level PSC actually asserted in the ID token is what counts.
    eIDAS levels are ordered (eidas1 < eidas2 < eidas3); other values must match.
    """
    wanted = settings.ENRS_PSC_ACR_VALUES.split()
    if not wanted or acr in wanted:
        return
    ranks = [rank for rank in map(_eidas_rank, wanted) if rank is not None]
    obtained = _eidas_rank(acr)
    if ranks and obtained is not None and obtained >= min(ranks):
        return
    raise PscLoginRefused(
        _("Le niveau d'authentification transmis par Pro Santé Connect (%(acr)s) est insuffisant.")
        % {"acr": acr or _("aucun")}
    )


def _known_professional(idnat_ps: str) -> Professional:
    professional = directory_selectors.active_professional_by_idnat(idnat_ps)
    if professional is None:
        raise PscLoginRefused(
            _(
                "Votre identifiant national (%(idnat)s) ne figure pas dans l'annuaire régional : "
                "aucun compte ENRS ne peut être ouvert. Contactez votre structure ou l'agence régionale."
            )
            % {"idnat": idnat_ps}
        )
    return professional


def _free_email(*candidates: str) -> str:
    User = get_user_model()
    for email in candidates:
        if email and not User.objects.filter(email__iexact=email).exists():
            return email
    return ""


def _create_professional_user(professional: Professional, identity: PscIdentity):
    User = get_user_model()
    email = _free_email(identity.email, professional.mssante_address) or f"{professional.idnat_ps}@psc.invalid"
    user = User(
        username=f"psc-{professional.idnat_ps}",
        email=email,
        first_name=professional.first_name[:150],
        last_name=professional.last_name[:150],
        kind=User.Kind.PROFESSIONAL,
    )
    # A PSC account never logs in by password: the CPS or e-CPS is the credential.
    user.set_unusable_password()
    user.save()
    directory_services.link_user(professional, user)
    return user


@transaction.atomic
def user_for_psc_login(identity: PscIdentity, linked_user=None):
    """The account a PSC login opens: the professional's, created on his first login.

    ``linked_user`` is the account the PSC subject is already linked to, if any; it
    must still be the directory's account for that professional.
    """
    check_acr(identity.acr)
    professional = _known_professional(identity.idnat_ps)
    if professional.user_id is None:
        if linked_user is not None:
            raise PscLoginRefused(_("Ce compte Pro Santé Connect est rattaché à un autre professionnel."))
        return _create_professional_user(professional, identity)
    if linked_user is not None and linked_user.pk != professional.user_id:
        raise PscLoginRefused(_("Ce compte Pro Santé Connect est rattaché à un autre professionnel."))
    if not professional.user.is_professional:
        raise PscLoginRefused(_("Le compte rattaché à ce professionnel n'est pas un compte professionnel."))
    return professional.user


# --- Session bookkeeping ------------------------------------------------------------
def record_login(session, *, method: str, acr: str = "", mfa_enrolment_required: bool = False) -> None:
    """Note how and when the session was opened (read by the idle/absolute timeouts)."""
    now = time.time()
    session[SESSION_LOGIN_AT] = now
    session[SESSION_LAST_SEEN] = now
    session[SESSION_METHOD] = method
    if acr:
        session[SESSION_ACR] = acr
    else:
        session.pop(SESSION_ACR, None)
    if mfa_enrolment_required:
        session[SESSION_MFA_ENROLMENT] = True
    else:
        session.pop(SESSION_MFA_ENROLMENT, None)


def session_acr(session) -> str:
    """The eIDAS level PSC asserted for this session ("" for a local login)."""
    return session.get(SESSION_ACR, "")


def has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def mfa_enrolment_required(user, method: str) -> bool:
    """A professional who logged in with a password must have a TOTP (PSC is strong already)."""
    return (
        settings.ENRS_REQUIRE_MFA_FOR_PROFESSIONALS
        and method == "password"
        and getattr(user, "is_professional", False)
        and not has_totp(user)
    )


# --- Logout at Pro Santé Connect (OIDC RP-Initiated Logout 1.0) -----------------------------
PSC_END_SESSION_CACHE_SECONDS = 3600


def psc_logout_url(request, post_logout_redirect_uri: str) -> str | None:
    """Where to send a PSC-authenticated user on logout, or None to stay local.

    Ending only the ENRS session would leave the PSC session open: the next
    "Se connecter avec Pro Santé Connect" on a shared workstation would log the
    previous professional back in without a card. So the logout goes on to the
    provider's ``end_session_endpoint`` with our ``client_id`` and a registered
    ``post_logout_redirect_uri`` (no ``id_token_hint``: allauth does not keep the
    raw ID token; the provider then asks the user to confirm, as the spec allows).
    Any failure to reach the provider keeps the local logout, which has happened.
    """
    if not settings.ENRS_PSC_LOGOUT:
        return None
    discovered = _psc_end_session_endpoint(request)
    if discovered is None:
        return None
    endpoint, client_id = discovered
    from urllib.parse import urlencode

    query = urlencode({"client_id": client_id, "post_logout_redirect_uri": post_logout_redirect_uri})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _psc_end_session_endpoint(request) -> tuple[str, str] | None:
    import logging

    from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
    from django.core.cache import cache

    try:
        adapter = OpenIDConnectOAuth2Adapter(request, PSC_PROVIDER_ID)
        client_id = adapter.get_provider().app.client_id
        key = f"enrs:psc:end_session:{adapter.get_provider().server_url}"
        endpoint = cache.get(key)
        if endpoint is None:
            endpoint = adapter.openid_config.get("end_session_endpoint", "")
            cache.set(key, endpoint, PSC_END_SESSION_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - provider down or misconfigured: the local logout stands
        logging.getLogger("enrs.accounts").warning("PSC end_session_endpoint unavailable", exc_info=True)
        return None
    return (endpoint, client_id) if endpoint else None
