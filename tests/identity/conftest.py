"""Fixtures of the identity-server tests: an identity-vigilance officer, a professional, trait dicts."""

from __future__ import annotations

import itertools

import pytest

from enrs.accounts.models import User

_n = itertools.count(1)


def make_user(kind: str = "pro", **extra) -> User:
    n = next(_n)
    return User.objects.create_user(
        username=f"idv{n}", email=f"idv{n}@test.invalid", password="mot-de-passe-solide-1", kind=kind, **extra
    )


@pytest.fixture
def officer(db):
    """A professional account holding the identity-vigilance role (not an agency administrator)."""
    from enrs.access.models import Role, RoleAssignment

    user = make_user("pro")
    RoleAssignment.objects.create(user=user, role=Role.IDENTITY_VIGILANCE)
    return user


@pytest.fixture
def outsider(db):
    """A signed-in professional without any identity duty."""
    return make_user("pro")


def traits(**overrides):
    base = {
        "birth_name": "Martin",
        "birth_first_names": ["Jeanne", "Marie"],
        "birth_date": "1950-03-02",
        "sex": "F",
        "birth_place_insee": "14118",
        "used_name": "",
        "used_first_name": "",
        "ins": "",
        "ins_oid": "",
    }
    return {**base, **overrides}


@pytest.fixture
def make_traits():
    return traits
