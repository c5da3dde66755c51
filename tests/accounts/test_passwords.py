"""Local accounts: argon2id, password rules, patient sign-up with e-mail verification."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from enrs.accounts.models import User
from enrs.accounts.validators import CharacterClassesValidator, character_classes

pytestmark = pytest.mark.django_db
STRONG = "Tournesol-Bleu-2024"


def test_passwords_are_stored_with_argon2id(settings):
    # The suite swaps in a fast hasher; the project's own list is argon2 first.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = User.objects.create_user(username="a", email="a@test.invalid", password=STRONG, kind="patient")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(STRONG)


def test_project_hashers_put_argon2_first():
    from enrs import settings as enrs_settings

    assert enrs_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("court-A1", "trop court"),
        ("toutenminuscules", "minuscules, majuscules, chiffres"),
        ("123456789012345", "entièrement numérique"),
        ("motdepasse12", "minuscules, majuscules, chiffres"),
    ],
)
def test_weak_passwords_are_refused_in_french(password, message):
    with pytest.raises(ValidationError) as refusal:
        validate_password(password)
    assert any(message in text for text in refusal.value.messages), refusal.value.messages


def test_strong_password_passes():
    validate_password(STRONG)


@given(st.text(min_size=1, max_size=40))
def test_character_classes_validator_agrees_with_the_class_count(password):
    validator = CharacterClassesValidator(min_classes=3)
    if len(character_classes(password)) >= 3:
        validator.validate(password)
    else:
        with pytest.raises(ValidationError):
            validator.validate(password)


@pytest.fixture
def open_registration(settings):
    settings.ACCOUNT_ALLOW_REGISTRATION = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_patient_sign_up_requires_e_mail_verification(client, open_registration):
    response = client.post(
        reverse("account_signup"), {"email": "camille@test.invalid", "password1": STRONG, "password2": STRONG}
    )
    assert response.status_code == 302 and response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="camille@test.invalid")
    assert user.kind == User.Kind.PATIENT
    assert client.session.get("_auth_user_id") is None
    assert len(mail.outbox) == 1

    refused = client.post(reverse("account_login"), {"login": "camille@test.invalid", "password": STRONG})
    assert refused["Location"] == reverse("account_email_verification_sent")
    assert client.session.get("_auth_user_id") is None

    link = re.search(r"https?://\S+/comptes/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    confirm_url = link.split("testserver", 1)[1]
    client.post(confirm_url)
    assert EmailAddress.objects.get(user=user).verified
    response = client.post(reverse("account_login"), {"login": "camille@test.invalid", "password": STRONG})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("portal:home"))["Location"] == reverse("portal:patient_home")


def test_sign_up_refuses_a_weak_password_and_stores_nothing(client, open_registration):
    response = client.post(
        reverse("account_signup"), {"email": "weak@test.invalid", "password1": "motdepasse12", "password2": "motdepasse12"}
    )
    assert response.status_code == 400
    assert "minuscules, majuscules" in response.content.decode()
    assert not User.objects.filter(email="weak@test.invalid").exists()


def test_sign_up_is_closed_by_default(client):
    response = client.post(reverse("account_signup"), {"email": "x@test.invalid", "password1": STRONG, "password2": STRONG})
    assert response.status_code == 200 and not User.objects.filter(email="x@test.invalid").exists()
