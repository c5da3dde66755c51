"""Builders for the habilitation tests: users of each role, patients, organisations."""

from __future__ import annotations

import datetime as dt
import itertools

from faker import Faker

from enrs.accounts.models import User
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory
from enrs.identity.models import Patient

fake = Faker("fr_FR")
_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def make_user(kind: str = "pro", **extra) -> User:
    n = _n()
    return User.objects.create_user(
        username=f"u{n}", email=f"u{n}@test.invalid", password="mot-de-passe-solide-1", kind=kind,
        first_name=extra.pop("first_name", fake.first_name()), last_name=extra.pop("last_name", fake.last_name()), **extra,
    )  # fmt: skip


def make_organisation(college: str = "B", **extra):
    n = _n()
    data = {"finess": finess_complete(f"14{n:06d}"), "name": f"Structure {n}", "kind": "MSP", "college": college}
    return directory.upsert_organisation({**data, **extra}).obj


def make_professional(organisation=None, profession_code: str = "10") -> User:
    """A professional account linked to a directory record (hence the derived role "professional")."""
    n = _n()
    record = directory.upsert_professional(
        {"rpps": luhn_complete(f"10{n:08d}"), "last_name": fake.last_name(), "first_name": fake.first_name(),
         "profession_code": profession_code}
    ).obj  # fmt: skip
    if organisation is not None:
        directory.upsert_situation(record, organisation, {"mode": "L"})
    user = make_user("pro")
    directory.link_user(record, user)
    return user


def make_patient(user: User | None = None, **extra) -> Patient:
    values = {
        "birth_name": fake.last_name().upper(), "birth_first_names": fake.first_name(),
        "birth_date": dt.date(1940, 1, 1) + dt.timedelta(days=_n() * 37 % 25000), "sex": "F", "user": user,
    }  # fmt: skip
    return Patient.objects.create(**{**values, **extra})


def make_patient_account() -> tuple[User, Patient]:
    user = make_user("patient")
    return user, make_patient(user=user, email=f"patient{user.pk}@test.invalid")


