"""Opening a professional's account on request of his structure (after the referent's approval).

The account belongs to a professional of the regional directory (RPPS), so that his structures,
and through them his services and habilitations, come from the directory as for a Pro Santé
Connect login. It is created without a usable password: the professional receives an invitation
e-mail with a single-use link (allauth's password-reset key, valid ``PASSWORD_RESET_TIMEOUT``
seconds) to choose his password, or logs in with his CPS / e-CPS through Pro Santé Connect.
The link is sent only by e-mail, after the commit, and never stored: whoever can read the
database must not be able to take over an account before its owner has chosen a password.
"""

from __future__ import annotations

import logging

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from enrs.core import notifications
from enrs.directory import services as directory_services
from enrs.directory.models import Professional

logger = logging.getLogger("enrs.accounts")
INVITATION_KIND = "account_invitation"


def _check_free(professional: Professional, email: str) -> None:
    User = get_user_model()
    if professional.user_id is not None:
        raise ValidationError({"rpps": _("Ce professionnel a déjà un compte ENRS (%(email)s).") % {"email": professional.user.email}})
    if User.objects.filter(email__iexact=email).exists() or EmailAddress.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("L'adresse %(email)s est déjà celle d'un autre compte.") % {"email": email}})


def invitation_path(user) -> str:
    """The allauth "choose a password" path for ``user`` (valid until the password changes or times out)."""
    key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
    return reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"}).replace("UID-KEY", key)


def _send_invitation(user_id: int, structure: str) -> None:
    user = get_user_model().objects.get(pk=user_id)
    link = settings.ENRS_PUBLIC_URL.rstrip("/") + invitation_path(user)
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    body = _(
        "Bonjour,\n\nUn compte ENRS vient d'être ouvert pour vous à la demande de %(structure)s.\n\n"
        "Choisissez votre mot de passe avec ce lien (valable %(hours)d heures, une seule fois) :\n%(link)s\n\n"
        "Vous pouvez aussi vous connecter avec votre carte CPS ou votre e-CPS (Pro Santé Connect). "
        "À la première connexion par mot de passe, un second facteur (application d'authentification) vous sera demandé.\n\n"
        "Si vous n'attendiez pas ce message, ignorez-le et prévenez votre structure."
    ) % {"structure": structure, "hours": hours, "link": link}
    try:
        send_mail(_("Votre compte ENRS est ouvert"), body, None, [user.email])
    except Exception as error:  # noqa: BLE001 - the account exists; the referent can send the invitation again
        logger.warning("account %s: invitation e-mail failed: %s", user_id, error)


@transaction.atomic
def open_professional_account(professional: Professional, *, email: str, structure: str):
    """Create the account of a directory professional, linked to his record, and invite him by e-mail."""
    email = (email or "").strip().lower()
    _check_free(professional, email)
    User = get_user_model()
    user = User(username=email, email=email,
                first_name=professional.first_name[:150], last_name=professional.last_name[:150], kind=User.Kind.PROFESSIONAL)
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    directory_services.link_user(professional, user)
    notifications.notify(user, kind=INVITATION_KIND, title=_("Bienvenue sur ENRS"), email=False,
                         body=_("Votre compte a été ouvert à la demande de %(structure)s.") % {"structure": structure})
    transaction.on_commit(lambda: _send_invitation(user.pk, structure))
    return user
