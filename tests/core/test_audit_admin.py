"""The trail in the admin: readable and exportable by staff, never editable."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from enrs.core import audit
from enrs.core.models import AccessEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    superuser = get_user_model().objects.create_superuser(
        username="dpo", email="dpo@test.invalid", password="mot-de-passe-solide-1", first_name="Denise", last_name="Po"
    )
    client.force_login(superuser)
    client.superuser = superuser
    return client


def test_trail_admin_lists_but_refuses_add_change_delete(admin_client):
    event = audit.record(actor=None, action="read", channel="hl7", patient_id=4, object_type="identity.Patient")
    listing = admin_client.get(reverse("admin:core_accessevent_changelist") + "?channel__exact=hl7")
    assert listing.status_code == 200 and "identity.Patient" in listing.content.decode()
    assert admin_client.get(reverse("admin:core_accessevent_add")).status_code == 403
    assert admin_client.get(reverse("admin:core_accessevent_delete", args=[event.pk])).status_code == 403
    detail = admin_client.get(reverse("admin:core_accessevent_change", args=[event.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    admin_client.post(reverse("admin:core_accessevent_change", args=[event.pk]), {"justification": "x"})
    assert AccessEvent.objects.get(pk=event.pk).justification == ""


def test_admin_export_action_downloads_csv_and_is_recorded(admin_client):
    events = [audit.record(actor=None, action="print", channel="web", patient_id=n) for n in (1, 2)]
    response = admin_client.post(
        reverse("admin:core_accessevent_changelist"),
        {"action": "export_csv", "_selected_action": [e.pk for e in events]},
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Rang" and [row[6] for row in rows[1:]] == ["1", "2"]
    assert {row[9] for row in rows[1:]} == {"Impression"}
    export = AccessEvent.objects.order_by("-sequence").first()
    assert (export.action, export.channel, export.actor_id) == ("export", "admin", admin_client.superuser.pk)
    assert audit.verify_chain().ok


def test_non_staff_cannot_open_the_trail(client, django_user_model):
    user = django_user_model.objects.create_user(username="curieux", email="c@test.invalid", kind="pro")
    client.force_login(user)
    response = client.get(reverse("admin:core_accessevent_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]
