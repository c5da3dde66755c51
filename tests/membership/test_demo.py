"""The membership part of ``enrs demo``: idempotent, synthetic."""

from __future__ import annotations

import pytest

from enrs.membership import demo
from enrs.membership.models import Document, GeneralAssembly, Member

from .builders import make_organisation

pytestmark = pytest.mark.django_db


def test_demo_membership_is_idempotent():
    organisations = [
        make_organisation("CH de Synthèse", college="A", kind="CH"),
        make_organisation("MSP de Synthèse", college="B", kind="MSP"),
        make_organisation("EHPAD de Synthèse", college="C", kind="EHPAD"),
        make_organisation("EHPAD Bis de Synthèse", college="C", kind="EHPAD"),
    ]
    assert demo.build_demo_membership(organisations).count("created") == 4
    assert Member.objects.filter(status="pending").count() == 1 and Member.objects.filter(status="member").count() == 3
    assert GeneralAssembly.objects.count() == 1 and Document.objects.get().total_ttc > 0
    assert demo.build_demo_membership(organisations) == ["unchanged"] * 4
    assert Member.objects.count() == 4 and Document.objects.count() == 1
