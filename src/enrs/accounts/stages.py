"""Login stages added to allauth's (see AccountAdapter.get_login_stages)."""

from __future__ import annotations

from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.models import EmailAddress
from allauth.account.stages import EmailVerificationStage


def _self_registered(user) -> bool:
    # Accounts created by the agency or a structure carry no allauth e-mail row:
    # their address was vouched for by whoever created them. Sign-up creates one.
    return EmailAddress.objects.filter(user=user).exists()


class PatientEmailVerificationStage(EmailVerificationStage):
    """E-mail verification is mandatory for self-registered patients, whatever the
    global ``ACCOUNT_EMAIL_VERIFICATION``: a patient account opens health data."""

    def handle(self):
        user = self.login.user
        if getattr(user, "is_patient", False) and (self.login.signup or _self_registered(user)):
            self.login.email_verification = EmailVerificationMethod.MANDATORY
        return super().handle()
