"""Approving an account request opens the professional's account, linked to the directory, and invites him."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.urls import reverse

from enrs.accounts.models import User
from enrs.core.models import Notification
from enrs.membership import account_requests
from enrs.membership.models import AccountRequest

from .builders import make_assembly, make_member, make_organisation, make_practising_professional, make_referent, make_user

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Un-mot-de-passe-neuf-2026"


@pytest.fixture
def structure(db):
    from enrs.membership import services

    member = services.admit(make_member("C"), make_assembly())
    return {"member": member, "referent": make_referent(member.organisation),
            "professional": make_practising_professional(member.organisation)}


def _request(structure, *, email="lina.synthese@test.invalid", rpps=None):
    return account_requests.request_account(
        structure["member"], first_name="Lina", last_name="Synthèse", email=email, profession="Infirmière",
        rpps=structure["professional"].rpps if rpps is None else rpps, by=structure["referent"])


def _approve(structure, request, **extra):
    return account_requests.decide_account_request(request, approve=True, by=structure["referent"], **extra)


def test_approval_opens_a_linked_account_without_password_and_mails_a_working_invitation(
        structure, client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        handled = _approve(structure, _request(structure))
    user = handled.account
    assert handled.status == AccountRequest.Status.APPROVED
    assert user.kind == User.Kind.PROFESSIONAL and not user.has_usable_password()
    assert user.professional == structure["professional"]
    assert EmailAddress.objects.get(user=user).email == "lina.synthese@test.invalid"
    assert Notification.objects.filter(recipient=user, kind="account_invitation").exists()
    assert "http" not in Notification.objects.get(recipient=user).body + Notification.objects.get(recipient=user).link
    [mail] = mailoutbox
    assert mail.to == ["lina.synthese@test.invalid"] and structure["member"].name in mail.body
    path = re.search(r"https?://[^/\s]+(/\S+)", mail.body).group(1)
    page = client.get(path, follow=True)
    assert page.status_code == 200
    response = client.post(page.redirect_chain[-1][0] if page.redirect_chain else path,
                           {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(path, follow=True).status_code in (200, 400)  # the key is spent: the form is not offered again
    assert "password1" not in client.get(path, follow=True).content.decode()


def test_a_request_without_rpps_is_completed_at_approval(structure):
    request = _request(structure, rpps="")
    with pytest.raises(ValidationError) as error:
        _approve(structure, request)
    assert "Indiquez le numéro RPPS" in str(error.value.message_dict["rpps"])
    handled = _approve(structure, AccountRequest.objects.get(pk=request.pk), rpps=structure["professional"].rpps)
    assert handled.rpps == structure["professional"].rpps and handled.account is not None


@pytest.mark.parametrize("rpps, message", [
    ("1234", "exactement 11 chiffres"),
    ("10000000000", "clé de contrôle"),
])
def test_a_malformed_rpps_is_refused_on_its_field(structure, rpps, message):
    with pytest.raises(ValidationError) as error:
        _request(structure, rpps=rpps)
    assert message in " ".join(error.value.message_dict["rpps"])
    assert not AccountRequest.objects.exists()


def test_a_professional_practising_elsewhere_or_unknown_gets_no_account(structure):
    elsewhere = make_practising_professional(make_organisation("EHPAD Ailleurs"), last_name="Autre")
    for rpps, message in ((elsewhere.rpps, "n'exerce pas dans"), ("10000000017", "Aucun professionnel actif")):
        request = _request(structure, email=f"{rpps}@test.invalid", rpps=rpps)
        with pytest.raises(ValidationError) as error:
            _approve(structure, request)
        assert message in " ".join(error.value.message_dict["rpps"])
        assert AccountRequest.objects.get(pk=request.pk).status == AccountRequest.Status.PENDING
    assert not User.objects.filter(email__endswith="@test.invalid", professional__isnull=False).exists()


def test_an_address_already_used_or_a_professional_already_linked_is_refused_and_nothing_is_stored(structure, mailoutbox):
    make_user("deja.pris@test.invalid")
    request = _request(structure, email="deja.pris@test.invalid")
    with pytest.raises(ValidationError) as error:
        _approve(structure, request)
    assert "déjà celle d'un autre compte" in " ".join(error.value.message_dict["email"])
    assert AccountRequest.objects.get(pk=request.pk).status == AccountRequest.Status.PENDING
    _approve(structure, _request(structure, email="premier@test.invalid"))
    second = _request(structure, email="second@test.invalid")
    with pytest.raises(ValidationError) as error:
        _approve(structure, second)
    assert "a déjà un compte ENRS" in " ".join(error.value.message_dict["rpps"])
    assert not User.objects.filter(email="second@test.invalid").exists() and not mailoutbox


def test_a_refusal_opens_no_account(structure):
    handled = account_requests.decide_account_request(_request(structure), approve=False, by=structure["referent"],
                                                      reason="Pas dans l'effectif")
    assert handled.status == AccountRequest.Status.REFUSED and handled.account is None
    assert structure["professional"].user_id is None


def test_the_referent_screen_opens_the_account(structure, client, mailoutbox, django_capture_on_commit_callbacks):
    request = _request(structure)
    client.force_login(structure["referent"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("membership:account_decide"), {"request": request.pk, "decision": "approve"}, follow=True)
    assert response.status_code == 200 and "Compte ouvert pour lina.synthese@test.invalid" in response.content.decode()
    assert len(mailoutbox) == 1
