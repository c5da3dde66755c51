"""Notifications: stored in the caller's transaction, e-mailed/texted only after commit."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from enrs.core import notifications, sms
from enrs.core.models import Notification

pytestmark = pytest.mark.django_db(transaction=False)


def test_notification_is_stored_and_emailed_through_a_real_smtp_server(users, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = notifications.notify(
            users["pro"], kind="test", title="Sortie de votre patient", body="Voir le dossier.", link="/dossier/1/"
        )
    assert len(smtp_server) == 1
    message = smtp_server[0]
    assert message["Subject"] == "Sortie de votre patient"
    assert message["X-Envelope-To"] == "pro@test.invalid"
    assert "http://127.0.0.1:8000/dossier/1/" in message.get_content()
    note.refresh_from_db()
    assert note.emailed_at is not None and note.delivery_error == ""


def test_nothing_leaves_when_the_transaction_rolls_back(users, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        notifications.notify(users["pro"], kind="test", title="Rendez-vous confirmé")
        raise RuntimeError("booking failed")
    assert callbacks == []
    assert smtp_server == []
    assert not Notification.objects.exists()


def test_an_unreachable_mail_server_is_recorded_not_raised(users, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    with django_capture_on_commit_callbacks(execute=True):
        note = notifications.notify(users["pro"], kind="test", title="Alerte")
    note.refresh_from_db()
    assert note.emailed_at is None
    assert note.delivery_error.startswith("e-mail :")


def test_sms_goes_through_the_configured_provider(users, settings, django_capture_on_commit_callbacks):
    settings.ENRS_SMS_BACKEND = "enrs.core.sms.MemoryBackend"
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        note = notifications.notify(
            users["patient"], kind="rdv", title="Rappel", email=False, sms=True, phone="06 12 34 56 78", sms_text="RDV demain 9h"
        )
    assert sms.outbox == [sms.SmsMessage("+33612345678", "RDV demain 9h")]
    note.refresh_from_db()
    assert note.texted_at is not None and note.emailed_at is None


def test_a_bad_phone_number_is_recorded_on_the_notification(users, settings, django_capture_on_commit_callbacks):
    settings.ENRS_SMS_BACKEND = "enrs.core.sms.MemoryBackend"
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        note = notifications.notify(users["patient"], kind="rdv", title="Rappel", email=False, sms=True, phone="12")
    note.refresh_from_db()
    assert sms.outbox == []
    assert "Numéro de téléphone invalide" in note.delivery_error


@given(st.from_regex(r"[1-9][0-9]{8}", fullmatch=True), st.sampled_from(["0", "+33", "0033"]), st.sampled_from(["", " ", ".", "-"]))
def test_french_numbers_normalise_to_e164_whatever_the_writing(digits, prefix, separator):
    pairs = [digits[0]] + [digits[i : i + 2] for i in range(1, 9, 2)]
    written = prefix + separator.join(pairs)
    assert sms.normalise_number(written) == "+33" + digits


@pytest.mark.parametrize("number", ["", "0012345678", "+32612345678", "06123456", "061234567890", "0a12345678"])
def test_non_french_or_malformed_numbers_are_refused(number):
    with pytest.raises(sms.SmsError, match="Numéro de téléphone invalide"):
        sms.normalise_number(number)


def test_sms_text_rules():
    with pytest.raises(sms.SmsError, match="vide"):
        sms.send_sms("0612345678", "  ")
    with pytest.raises(sms.SmsError, match="dépasse"):
        sms.send_sms("0612345678", "x" * (sms.MAX_SMS_LENGTH + 1))


def test_unread_count_and_mark_read_touch_only_the_owner(users):
    mine = notifications.notify(users["pro"], kind="t", title="a", email=False)
    notifications.notify(users["pro"], kind="t", title="b", email=False)
    theirs = notifications.notify(users["patient"], kind="t", title="c", email=False)
    assert notifications.unread_count(users["pro"]) == 2
    assert notifications.mark_read(users["pro"], [mine.pk, theirs.pk]) == 1
    assert notifications.unread_count(users["pro"]) == 1
    assert notifications.unread_count(users["patient"]) == 1
    assert notifications.mark_read(users["pro"]) == 1
    assert notifications.unread_count(users["pro"]) == 0


def test_portal_lists_notifications_and_marks_them_read(client, users):
    notifications.notify(users["pro"], kind="t", title="Nouvelle demande reçue", email=False)
    other = notifications.notify(users["patient"], kind="t", title="Secret du patient", email=False)
    client.force_login(users["pro"])
    page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nouvelle demande reçue" in html and "Secret du patient" not in html
    assert 'aria-label="1 non lue"' in html
    # Someone else's notification id is silently ignored: no read, no leak.
    client.post("/notifications/lues/", {"notification": other.pk})
    other.refresh_from_db()
    assert other.read_at is None
    assert client.post("/notifications/lues/", {}).status_code == 400
    assert client.post("/notifications/lues/", {"tout": "1"}).status_code == 302
    assert notifications.unread_count(users["pro"]) == 0
    assert client.post("/notifications/lues/", {"notification": "abc"}).status_code == 400


def test_notify_bulk_stores_all_in_one_go_and_emails_only_those_asked(users, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rows = notifications.notify_bulk([
            (users["pro"], "test", "Nouveau message", "Un message vous attend.", "/m/1/", True),
            (users["pro"], "test", "Autre", "", "/m/2/", False),
        ])  # fmt: skip
    assert [r.title for r in rows] == ["Nouveau message", "Autre"]
    assert Notification.objects.filter(recipient=users["pro"]).count() == 2
    assert len(smtp_server) == 1 and smtp_server[0]["Subject"] == "Nouveau message"


def test_notify_bulk_sends_its_emails_over_one_connection_and_marks_them_all(users, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rows = notifications.notify_bulk([
            (users["pro"], "test", "Admission", "Le 07/12/2026", "/dossiers/1/", True),
            (users["patient"], "test", "Sortie", "Le 08/12/2026", "", True),
        ])  # fmt: skip
    assert sorted(m["Subject"] for m in smtp_server) == ["Admission", "Sortie"]
    assert "/dossiers/1/" in next(m for m in smtp_server if m["Subject"] == "Admission").get_content()
    for row in rows:
        row.refresh_from_db()
        assert row.emailed_at is not None and row.delivery_error == ""


def test_a_failed_bulk_batch_records_each_failure_on_its_own_row(users, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    with django_capture_on_commit_callbacks(execute=True):
        rows = notifications.notify_bulk([
            (users["pro"], "test", "Admission", "", "", True), (users["patient"], "test", "Sortie", "", "", True),
        ])  # fmt: skip
    for row in rows:
        row.refresh_from_db()
        assert row.emailed_at is None and row.delivery_error.startswith("e-mail :")


def test_notify_bulk_can_leave_its_emails_to_the_worker(users, smtp_server, settings, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        rows = notifications.notify_bulk([(users["pro"], "test", "Sortie", "", "", True)], email_by_worker=True)
    assert smtp_server == []  # nothing sent by the caller: one task queued for the worker
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["args"] == [[rows[0].pk]]
    assert notifications.send_stored_emails([rows[0].pk]) == 1  # what the worker runs
    assert notifications.send_stored_emails([rows[0].pk]) == 0  # never twice
    rows[0].refresh_from_db()
    assert [m["Subject"] for m in smtp_server] == ["Sortie"] and rows[0].emailed_at is not None
