"""The record page's query count is pinned: it does not grow with the record (CaptureQueriesContext)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrs.coordination import services
from enrs.coordination.models import Document, TimelineEvent

pytestmark = pytest.mark.django_db


def _fill(record, gp, org, documents: int, events: int) -> None:
    now = timezone.now()
    Document.objects.bulk_create([
        Document(record=record, patient=record.patient, unique_id=f"2.25.{record.pk}{i}{documents}", title=f"Document {i}",
                 type_code="11490-0", class_code="10", format_code="urn:ihe:iti:xds-sd:pdf:2008", media_type="application/pdf",
                 size=1000 + i, sha256="0" * 64, sha1="0" * 40, file_name=f"d{i}.pdf", storage_name=f"coordination/t/{i}.pdf",
                 author=gp, author_name="Dr Test", organisation=org, service_date=(now - dt.timedelta(days=i)).date(),
                 visibility_codes=[], created_at=now - dt.timedelta(minutes=i))
        for i in range(documents)
    ])
    TimelineEvent.objects.bulk_create([
        TimelineEvent(record=record, kind=TimelineEvent.Kind.NOTE, title=f"Événement {i}", detail="détail", source="test",
                      occurred_at=now - dt.timedelta(minutes=i * 7))
        for i in range(events)
    ])


def _queries(client, record) -> list[str]:
    url = reverse("coordination:record", args=[record.pk])
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in context.captured_queries]


# session, user, viewer's roles (3, once per request), record, read check + trail (4), team, one page of
# documents, one of events, update check, unread notifications, tasks, pathway templates, pathways.
PAGE_QUERIES = 18


def test_first_page_query_count_is_pinned_and_does_not_grow(client, record, gp, org):
    client.force_login(gp)
    _fill(record, gp, org, 3, 4)
    small = _queries(client, record)
    _fill(record, gp, org, 80, 120)
    big = _queries(client, record)
    assert len(small) == len(big), "the record page's query count grew with the record"
    assert len(big) <= PAGE_QUERIES, "\n\n".join(big)
    assert not [q for q in big if "COUNT(" in q.upper() and ("coordination_document" in q or "coordination_timelineevent" in q)]


def test_first_page_offers_older_links_instead_of_totals(client, record, gp, org):
    client.force_login(gp)
    _fill(record, gp, org, 30, 40)
    url = reverse("coordination:record", args=[record.pk])
    page = client.get(url).content.decode()
    assert "?docs=2" in page and "?page=2" in page
    second = client.get(url, {"docs": "2", "page": "2"}).content.decode()
    assert "?docs=1" in second and "?page=1" in second and "?page=3" not in second
    assert client.get(url, {"docs": "zzz", "page": "-4"}).status_code == 200


def test_roles_are_read_once_inside_a_request_scope(gp, django_assert_num_queries):
    from enrs.access import selectors as access_selectors

    with access_selectors.roles_cached():
        first = access_selectors.roles_of(gp)
        with django_assert_num_queries(0):
            assert access_selectors.roles_of(gp) == first
            assert access_selectors.has_role(gp, *first)
    with django_assert_num_queries(3):
        access_selectors.roles_of(gp)
