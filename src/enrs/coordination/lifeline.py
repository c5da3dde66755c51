"""The coordination record's part of the patient's life line (« ligne de vie »).

Past: admissions, discharges, transfers and telemonitoring summaries, and the
documents shared with the patient. Future: the open pathway steps with a due
date. Only what the patient may see: documents marked visible to him, no
notes, no internal tasks outside pathways.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.coordination import codes, selectors
from enrs.coordination.models import TimelineEvent

PATIENT_EVENT_KINDS = (
    TimelineEvent.Kind.ADMISSION, TimelineEvent.Kind.DISCHARGE, TimelineEvent.Kind.TRANSFER,
    TimelineEvent.Kind.TELEMONITORING,
)
LIMIT = 200


def entries(patient, user):
    from enrs.core.lifeline import LifelineEntry

    record = selectors.record_of(patient)
    if record is None:
        return []
    found = []
    for event in record.events.filter(kind__in=PATIENT_EVENT_KINDS).order_by("-occurred_at")[:LIMIT]:
        found.append(LifelineEntry(when=event.occurred_at, kind=event.kind, title=event.title, detail=event.detail,
                                   source=event.source))
    link = reverse("coordination_portal:documents")
    for document in selectors.patient_documents(patient)[:LIMIT]:
        found.append(LifelineEntry(when=_at_noon(document.service_date), kind="document", title=document.title,
                                   detail=codes.type_label(document.type_code), link=link, source=document.author_name))
    for task in selectors.pathway_steps(record)[:LIMIT]:
        found.append(LifelineEntry(when=_at_noon(task.due_date), kind="pathway", title=task.title,
                                   detail=_("Étape du %(pathway)s") % {"pathway": task.pathway.name}, source=task.role))
    return found


def _at_noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def register() -> None:
    try:
        from enrs.core.lifeline import register_provider
    except ImportError:  # the shared kernel is not merged yet
        return
    register_provider(entries)
