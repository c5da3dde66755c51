"""The coordination record's part of the patient's life line (« ligne de vie »).

Past: admissions, discharges, transfers and telemonitoring summaries, and the
documents the viewer may see (for the patient: those marked visible to him).
Future: the open pathway steps with a due date. No notes, no internal tasks
outside pathways. Nothing at all for a viewer who may not read the record.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.coordination import codes, selectors
from enrs.coordination.models import TimelineEvent
from enrs.core import permissions
from enrs.core.lifeline import LifelineEntry, register_provider
from enrs.identity.models import Patient

PATIENT_EVENT_KINDS = (
    TimelineEvent.Kind.ADMISSION, TimelineEvent.Kind.DISCHARGE, TimelineEvent.Kind.TRANSFER,
    TimelineEvent.Kind.TELEMONITORING,
)
LIMIT = 200


def entries(patient, user):
    """What ``user`` may see of the patient's record on the life line (the read is trailed)."""
    if not isinstance(patient, Patient) or not getattr(user, "is_authenticated", False):
        return []
    record = selectors.record_of(patient)
    if record is None or not permissions.can(user, "read", record):
        return []
    permissions.require(user, "read", record, channel="web")
    found = []
    for event in record.events.filter(kind__in=PATIENT_EVENT_KINDS).order_by("-occurred_at")[:LIMIT]:
        found.append(LifelineEntry(when=event.occurred_at, kind=event.kind, title=event.title, detail=event.detail,
                                   source=event.source))
    own = patient.user_id == user.pk
    documents = selectors.patient_documents(patient) if own else selectors.documents(record, user)
    for document in documents[:LIMIT]:
        link = reverse("coordination_portal:documents") if own else reverse("coordination:document", args=[record.pk, document.pk])
        found.append(LifelineEntry(when=_at_noon(document.service_date), kind="document", title=document.title,
                                   detail=codes.type_label(document.type_code), link=link, source=document.author_name))
    for task in selectors.pathway_steps(record)[:LIMIT]:
        found.append(LifelineEntry(when=_at_noon(task.due_date), kind="pathway", title=task.title,
                                   detail=_("Étape du %(pathway)s") % {"pathway": task.pathway.name}, source=task.role))
    return found


def _at_noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def register() -> None:
    register_provider(entries)
