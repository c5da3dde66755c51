"""allauth adapters: who may sign up, what a login records, and the PSC linking rule."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import render

from enrs.accounts import services

# Stash for the eIDAS level between the PSC callback (social adapter) and the login
# itself (account adapter): both run within the same request.
_REQUEST_ACR = "_enrs_psc_acr"


def login_method(request, user) -> str:
    """"password", "psc" or another allauth method: the first factor of this login."""
    for record in reversed(get_authentication_records(request, user)):
        if record.get("method") == "socialaccount":
            return "psc" if record.get("provider") == services.PSC_PROVIDER_ID else "socialaccount"
        if record.get("method") != "mfa":
            return record.get("method", "")
    return ""


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.ACCOUNT_ALLOW_REGISTRATION

    def new_user(self, request):
        # Self-service sign-up is for patients only: professionals come from the
        # directory (PSC) or are created by their structure or the agency.
        user = super().new_user(request)
        user.kind = get_user_model().Kind.PATIENT
        return user

    def get_login_stages(self) -> list[str]:
        return [
            "enrs.accounts.stages.PatientEmailVerificationStage"
            if path == "allauth.account.stages.EmailVerificationStage"
            else path
            for path in super().get_login_stages()
        ]

    def get_logout_redirect_url(self, request) -> str:
        """After a PSC login, the logout continues at PSC (see ``services.psc_logout_url``)."""
        local = super().get_logout_redirect_url(request)
        if request.session.get(services.SESSION_METHOD) != "psc":
            return local
        return services.psc_logout_url(request, request.build_absolute_uri(local)) or local

    def login(self, request, user) -> None:
        super().login(request, user)
        method = login_method(request, user)
        enrolment = services.mfa_enrolment_required(user, method)
        services.record_login(
            request.session,
            method=method,
            acr=getattr(request, _REQUEST_ACR, "") if method == "psc" else "",
            mfa_enrolment_required=enrolment,
        )
        if enrolment:
            _count_login_as_reauthentication(request, user)


def _count_login_as_reauthentication(request, user) -> None:
    # allauth asks for the password again before adding a TOTP unless the session
    # re-authenticated; the password was typed seconds ago, so the forced
    # enrolment that follows the login does not ask for it twice.
    records = get_authentication_records(request, user)
    if records:
        records[-1]["reauthenticated"] = True
        request.session.modified = True


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        # Never a sign-up form after a social login: PSC accounts are made from the directory.
        return False

    def pre_social_login(self, request, sociallogin) -> None:
        if sociallogin.account.provider != services.PSC_PROVIDER_ID:
            raise ImmediateHttpResponse(_refusal(request, None))
        try:
            identity = services.psc_identity(sociallogin.account.extra_data)
            user = services.user_for_psc_login(identity, sociallogin.user if sociallogin.is_existing else None)
        except services.PscLoginRefused as refusal:
            raise ImmediateHttpResponse(_refusal(request, str(refusal))) from refusal
        setattr(request, _REQUEST_ACR, identity.acr)
        if not sociallogin.is_existing:
            sociallogin.user = user
            # save(connect=True) rather than connect(): no "account connected" e-mail
            # to an address PSC did not vouch for.
            sociallogin.save(request, connect=True)


def _refusal(request, reason: str | None):
    return render(request, "socialaccount/psc_refused.html", {"reason": reason}, status=403)
