"""``enrs audit verify | export | anchor``: exit codes, messages and the DPO CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from enrs.core import audit
from enrs.core.models import AccessEvent, AuditAnchor


def _audit(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.fixture
def trail(db):
    user_model = get_user_model()
    alice = user_model.objects.create_user(username="alice", email="alice@test.invalid", first_name="Alice", last_name="Bernard", kind="pro")
    bob = user_model.objects.create_user(username="bob", email="bob@test.invalid", first_name="Bob", last_name="Petit", kind="pro")
    audit.record(actor=alice, action="read", channel="web", patient_id=1, object_type="identity.Patient", object_id="1")
    audit.record(
        actor=bob, action="read", channel="web", patient_id=2, object_type="identity.Patient", object_id="2",
        break_glass=True, justification="=HYPERLINK(\"http://x\")",
    )  # fmt: skip
    audit.record(actor=alice, action="update", channel="api", patient_id=2, object_type="identity.Patient", object_id="2")
    return {"alice": alice, "bob": bob}


@pytest.mark.django_db
def test_verify_exits_zero_and_prints_the_count(trail):
    out, _err = _audit("verify")
    assert "Piste d'accès intègre : 3 événements vérifiés." in out


@pytest.mark.django_db
def test_verify_exits_one_naming_the_first_broken_link(trail):
    second = AccessEvent.objects.get(sequence=2)
    audit.remove_guard(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_accessevent SET break_glass = %s WHERE id = %s", [False, second.pk])
    with pytest.raises(CommandError) as caught:
        _audit("verify")
    assert caught.value.returncode == 1
    message = str(caught.value)
    assert f"premier lien rompu : événement n° {second.pk}" in message and "modifié" in message
    assert "1 événements intègres avant" in message


@pytest.mark.django_db
def test_anchor_command_signs_the_tip(trail):
    out, _err = _audit("anchor")
    anchor = AuditAnchor.objects.get()
    assert anchor.event_count == 3 and anchor.last_hash == AccessEvent.objects.get(sequence=3).hash
    assert f"Ancre n° {anchor.pk} : 3 événements" in out and audit.anchor_signature_valid(anchor)


@pytest.mark.django_db
def test_anchor_command_on_an_empty_trail():
    out, _err = _audit("anchor")
    assert "Piste vide" in out and not AuditAnchor.objects.exists()


@pytest.mark.django_db
def test_export_by_patient_writes_french_csv_and_is_itself_recorded(trail, tmp_path):
    target = tmp_path / "patient2.csv"
    _out, err = _audit("export", "--patient", "2", "--output", str(target))
    rows = _read_csv(target.read_text(encoding="utf-8"))
    assert rows[0][:4] == ["Rang", "Date (heure de Paris)", "Utilisateur (id)", "Utilisateur"]
    assert "Bris de glace" in rows[0] and "Empreinte" in rows[0]
    assert [row[3] for row in rows[1:]] == ["Bob Petit", "Alice Bernard"]
    assert [row[9] for row in rows[1:]] == ["Consultation", "Modification"]
    assert rows[1][12] == "oui" and rows[2][12] == "non"
    assert rows[1][11] == "'=HYPERLINK(\"http://x\")", "a formula must not run in Excel"
    assert "2 événements exportés" in err
    export = AccessEvent.objects.order_by("-sequence").first()
    assert (export.action, export.channel, export.patient_id, export.object_id) == ("export", "cli", 2, "patient=2")
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_export_by_user_to_stdout(trail):
    out, _err = _audit("export", "--user", str(trail["alice"].pk))
    rows = _read_csv(out)
    assert len(rows) == 3 and {row[3] for row in rows[1:]} == {"Alice Bernard"}


@pytest.mark.django_db
def test_export_by_period_uses_paris_days(trail):
    today = timezone.localdate()
    out, _err = _audit("export", "--from", today.isoformat(), "--to", today.strftime("%d/%m/%Y"))
    assert len(_read_csv(out)) == 4
    yesterday = today - dt.timedelta(days=1)
    out, _err = _audit("export", "--from", yesterday.isoformat(), "--to", yesterday.isoformat())
    assert len(_read_csv(out)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Indiquez --patient, --user ou une période"),
        (("--from", "2026-13-01"), "--from : date invalide « 2026-13-01 »"),
        (("--from", "2026-02-02", "--to", "2026-02-01"), "--to : le dernier jour précède"),
        (("--patient", "1", "--output", "/nonexistent/dir/x.csv"), "--output : impossible d'écrire"),
    ],
)
def test_export_refuses_bad_options_in_french(trail, args, message):
    before = AccessEvent.objects.count()
    with pytest.raises(CommandError, match=message):
        _audit("export", *args)
    assert AccessEvent.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_concurrent_records_keep_one_chain():
    """Writers in parallel threads (own connections) never fork the chain."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        # Shared-cache in-memory SQLite answers "table locked" instead of waiting;
        # the file database used in production serialises writers with its lock.
        per_thread, threads = 1, 1
    else:
        per_thread, threads = 15, 6
    errors: list[BaseException] = []

    def writer():
        try:
            for _ in range(per_thread):
                audit.record(actor=None, action="read", channel="api", patient_id=5)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=writer) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    sequences = list(AccessEvent.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, per_thread * threads + 1))
    assert audit.verify_chain() == audit.VerifyResult(True, per_thread * threads)
