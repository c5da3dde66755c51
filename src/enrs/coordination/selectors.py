"""Reads of the coordination record. Callers check permissions (``permissions.require``) first."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from enrs.coordination import rules
from enrs.coordination.models import (
    CareTeamMember,
    CoordinationRecord,
    Document,
    PathwayTemplate,
    PendingEncounter,
    Task,
    TimelineEvent,
)
from enrs.core import permissions

TIMELINE_PAGE = 30
DOCUMENT_PAGE = 25


@dataclass(frozen=True)
class Window:
    """One page of rows read without ``COUNT(*)``: ``size + 1`` rows tell whether a next page exists.

    A record may hold thousands of documents and tens of thousands of events: counting them at
    every render costs more than the page itself, so the page offers "older" / "newer" links
    instead of "page n of m". Quacks like the part of ``django.core.paginator.Page`` the
    templates use.
    """

    object_list: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


MAX_PAGE = 10_000


def window(rows: QuerySet, page, size: int) -> Window:
    """Page ``page`` (1-based; anything unreadable or out of range reads as 1) of ``rows``."""
    try:
        number = int(page)
    except (TypeError, ValueError):
        number = 1
    if not 1 <= number <= MAX_PAGE:
        number = 1
    start = (number - 1) * size
    chunk = list(rows[start:start + size + 1])
    return Window(object_list=chunk[:size], number=number, has_next=len(chunk) > size)


def record_of(patient) -> CoordinationRecord | None:
    return CoordinationRecord.objects.filter(patient=patient).first()


def records_for(user) -> QuerySet[CoordinationRecord]:
    """The records ``user`` may open, most recently active first."""
    base = CoordinationRecord.objects.select_related("patient").order_by("-updated_at", "-pk")
    return permissions.filter_allowed(user, "read", base)


def team(record: CoordinationRecord) -> QuerySet[CareTeamMember]:
    return record.team.select_related("professional", "organisation")


def _active_at(at) -> Q:
    """``CareTeamMember.is_active`` as a filter: started, and not ended yet."""
    return Q(start__lte=at) & (Q(end__isnull=True) | Q(end__gt=at))


def active_team(record: CoordinationRecord, at=None) -> list[CareTeamMember]:
    """The members in the team at ``at`` (now by default)."""
    return list(team(record).filter(_active_at(at or timezone.now())))


def active_professionals(record: CoordinationRecord, at=None) -> list:
    """The users of the members active at ``at`` (now by default), once each, with only what a notification needs.

    One light query (no member, organisation or profile columns): a hospital feed
    notifies the team of every movement.
    """
    from django.contrib.auth import get_user_model

    user = get_user_model()
    members = CareTeamMember.objects.filter(record=record).filter(_active_at(at or timezone.now()))
    rows = dict(members.values_list("professional_id", "professional__email"))
    return [user(pk=pk, email=email) for pk, email in sorted(rows.items())]


def timeline(record: CoordinationRecord) -> QuerySet[TimelineEvent]:
    return record.events.order_by("-occurred_at", "-pk")


def documents(record: CoordinationRecord, user, *, include_history: bool = False) -> QuerySet[Document]:
    """The documents of the record ``user`` may see (current versions unless ``include_history``)."""
    rows = record.documents.filter(rules.visible_documents_q(user)).select_related("organisation")
    if not include_history:
        rows = rows.filter(status=Document.Status.CURRENT)
    return rows.order_by("-service_date", "-created_at", "-pk")


def versions(document: Document) -> list[Document]:
    """Every version of ``document``, newest first."""
    chain = [document]
    newer = Document.objects.filter(replaces=document).first()
    while newer is not None:
        chain.insert(0, newer)
        newer = Document.objects.filter(replaces=newer).first()
    older = document.replaces
    while older is not None:
        chain.append(older)
        older = older.replaces
    return chain


def patient_documents(patient) -> QuerySet[Document]:
    """Current documents marked visible to the patient."""
    return Document.objects.filter(patient=patient, hidden_from_patient=False, status=Document.Status.CURRENT).order_by(
        "-service_date", "-pk"
    )


def open_tasks(record: CoordinationRecord) -> QuerySet[Task]:
    return record.tasks.filter(status=Task.Status.OPEN).select_related("assignee", "pathway").order_by("due_date", "pk")


def pathway_steps(record: CoordinationRecord) -> QuerySet[Task]:
    """Open pathway steps with a due date (the future part of the life line)."""
    return record.tasks.filter(status=Task.Status.OPEN, pathway__isnull=False, due_date__isnull=False).select_related(
        "pathway").order_by("due_date", "pk")


def templates() -> QuerySet[PathwayTemplate]:
    return PathwayTemplate.objects.filter(active=True).order_by("name")


def open_pending_encounters() -> QuerySet[PendingEncounter]:
    return PendingEncounter.objects.filter(status=PendingEncounter.Status.OPEN).select_related("sender").order_by("received_at")


def is_member(record: CoordinationRecord, user, at=None) -> bool:
    at = at or timezone.now()
    return any(m.is_active(at) for m in record.team.filter(professional=user))
