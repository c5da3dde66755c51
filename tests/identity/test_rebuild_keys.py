"""`enrs identity rebuild-keys`: stale blocking keys are recomputed, in batches, resumable, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from enrs.identity import matching, selectors, services
from enrs.identity.models import IdentityMatchKey

from .conftest import traits

pytestmark = pytest.mark.django_db


def _people():
    names = [("Martin", ["Jeanne"], "1950-03-02"), ("Lefèvre", ["Paul", "Marie"], "1981-07-14"),
             ("Dupont", ["Léa"], "2001-11-30"), ("Moreau", ["Hugo"], "1967-05-09"), ("Girard", ["Inès"], "1999-01-21")]
    return [services.create_identity(traits(birth_name=n, birth_first_names=f, birth_date=d), actor=None, channel="cli").patient
            for n, f, d in names]


def _expected(patients) -> set[tuple[int, str]]:
    return {(p.pk, k[:64]) for p in patients for k in matching.blocking_keys(selectors.traits_of(p))}


def _stored() -> set[tuple[int, str]]:
    return set(IdentityMatchKey.objects.values_list("patient_id", "key"))


def _spoil_keys(patients) -> None:
    """What an older key function left: missing keys for some, obsolete ones for others."""
    IdentityMatchKey.objects.filter(patient=patients[0]).delete()
    IdentityMatchKey.objects.filter(patient=patients[1]).update(key="ancienne-cle")
    IdentityMatchKey.objects.create(patient=patients[2], key="cle-obsolete")


def test_rebuild_replaces_stale_keys_in_batches_with_progress():
    patients = _people()
    expected = _expected(patients)
    assert expected and _stored() == expected
    _spoil_keys(patients)
    assert _stored() != expected
    out, err = StringIO(), StringIO()
    call_command("identity", "rebuild-keys", "--lot", "2", stdout=out, stderr=err)
    assert _stored() == expected
    assert f"5 identités traitées, {len(expected)} clés écrites ; dernier identifiant : {patients[-1].pk}." in out.getvalue()
    assert "Clés de rapprochement" in err.getvalue()
    call_command("identity", "rebuild-keys", "--sans-progression", stdout=StringIO(), stderr=StringIO())
    assert _stored() == expected  # idempotent


def test_resume_after_an_interruption_only_touches_later_identities():
    patients = _people()
    expected = _expected(patients)
    _spoil_keys(patients)
    result = services.rebuild_match_keys(from_id=patients[1].pk, batch_size=1)
    assert result["identities"] == 3 and result["last_id"] == patients[-1].pk
    stored = _stored()
    assert {row for row in expected if row[0] > patients[1].pk} <= stored
    assert (patients[2].pk, "cle-obsolete") not in stored
    assert (patients[1].pk, "ancienne-cle") in stored  # before the resume point: untouched
    services.rebuild_match_keys()
    assert _stored() == expected


def test_progress_reports_each_batch_and_merged_identities_keep_no_keys():
    patients = _people()
    services.merge_identities(patients[0], patients[1], actor=None, channel="cli", reason="Doublon avéré vérifié")
    calls = []
    services.rebuild_match_keys(batch_size=2, progress=lambda done, total, last: calls.append((done, total)))
    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert not IdentityMatchKey.objects.filter(patient=patients[1]).exists()


@pytest.mark.parametrize("args", [["--lot", "0"], ["--depuis", "-1"]])
def test_bad_arguments_are_refused_in_french(args):
    with pytest.raises(CommandError, match="--depuis doit être positif ou nul"):
        call_command("identity", "rebuild-keys", *args, stdout=StringIO(), stderr=StringIO())
