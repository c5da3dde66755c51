"""The patient's life line ("ligne de vie"): past and future events from every service.

Services do not know each other: the agenda knows appointments, the
coordination record knows admissions and documents, telehealth knows
teleconsultations. Each registers a provider in its ``AppConfig.ready``; the
page that shows the life line asks them all. A provider receives the viewing
user and must return only what that user may see (it applies the permission
API and writes the access trail itself).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

Provider = Callable[[object, object], Iterable["LifelineEntry"]]
_providers: list[Provider] = []


@dataclass(frozen=True)
class LifelineEntry:
    when: datetime
    kind: str
    title: str
    detail: str = ""
    link: str = ""
    source: str = ""


def register_provider(provider: Provider) -> Provider:
    """Add ``provider`` once (``ready`` may run twice in tests); usable as a decorator."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_provider(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def entries_for(patient, user) -> list[LifelineEntry]:
    entries = [entry for provider in _providers for entry in provider(patient, user)]
    return sorted(entries, key=lambda entry: entry.when)
