"""Small builders for the telehealth tests (synthetic people only)."""

from __future__ import annotations

import datetime as dt
import io
import itertools

from PIL import Image

from enrs.access.models import CareRelationship
from enrs.accounts.models import User
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory
from enrs.identity.models import Patient

_seq = itertools.count(1)


def organisation(name="CH Expert", college="A"):
    n = next(_seq)
    return directory.upsert_organisation(
        {"finess": finess_complete(f"1400{n:04d}"), "name": f"{name} {n}", "kind": "CH", "college": college}
    ).obj


def professional(username=None, *, profession="10", specialty="SM54", org=None, phone=""):
    n = next(_seq)
    username = username or f"pro{n}"
    user = User.objects.create_user(username=username, email=f"{username}@test.invalid", password="x" * 12, kind="pro",
                                    first_name="Prénom", last_name=username.capitalize())
    record = directory.upsert_professional(
        {"rpps": luhn_complete(f"1000{n:06d}"), "last_name": username.capitalize(), "first_name": "Prénom", "profession_code": profession}
    ).obj
    directory.upsert_situation(record, org or organisation(), {"specialty_code": specialty, "mode": "S", "phone": phone})
    directory.link_user(record, user)
    return user


def rpps_of(user) -> str:
    return user.professional.rpps


def patient(name="MARTIN", *, account=False):
    n = next(_seq)
    user = None
    if account:
        user = User.objects.create_user(username=f"pat{n}", email=f"pat{n}@test.invalid", password="x" * 12, kind="patient")
    return Patient.objects.create(birth_name=name, birth_first_names="Claire", birth_date=dt.date(1948, 1, 1 + n % 27), sex="F", user=user)


def care(pro, patient_obj):
    CareRelationship.objects.create(patient=patient_obj, professional=pro)
    return patient_obj


def png(size=(8, 8), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()
