"""INSi: the national teleservice that returns a person's INS (fr-interop §1.2).

The real teleservice needs a CPS/establishment certificate and the national
health network, out of reach here. ``InsiClient`` is the adapter interface;
``LocalInsiSimulator`` answers like INSi from a file of synthetic test
identities (``data/insi_test_identities.csv``, OID of the test NIR slice):

- ``00``: exactly one identity found — the matricule, its OID and the INS traits;
- ``01``: no identity found;
- ``02``: several identities found (INSi then returns none of them).

A search by traits matches the birth name, the first birth first name, the
sex and the birth date exactly (case and accents ignored), and the birth
place when the query gives one; a verification checks that a matricule
carries the given traits. ``get_client()`` returns the client named by the
``ENRS_INSI_CLIENT`` setting (a dotted path), the simulator by default.
"""

from __future__ import annotations

import abc
import csv
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

FOUND, NOT_FOUND, SEVERAL = "00", "01", "02"
DEFAULT_TEST_FILE = Path(__file__).resolve().parent / "data" / "insi_test_identities.csv"


@dataclass(frozen=True)
class InsIdentity:
    """The INS traits INSi returns with the matricule."""

    matricule: str
    oid: str
    birth_name: str
    birth_first_names: tuple[str, ...]
    birth_date: str  # AAAA-MM-JJ
    sex: str
    birth_place_insee: str


@dataclass(frozen=True)
class InsiQuery:
    birth_name: str
    first_name: str
    birth_date: str
    sex: str
    birth_place_insee: str = ""


@dataclass(frozen=True)
class InsiResponse:
    code: str
    identity: InsIdentity | None = None
    called_at: datetime = field(default_factory=timezone.now)

    @property
    def found(self) -> bool:
        return self.code == FOUND


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).upper().split())


class InsiClient(abc.ABC):
    """What the identity server needs from INSi."""

    @abc.abstractmethod
    def search(self, query: InsiQuery) -> InsiResponse:
        """Find the INS of a person from his traits."""

    @abc.abstractmethod
    def verify(self, matricule: str, oid: str, query: InsiQuery) -> InsiResponse:
        """Check that ``matricule`` is the INS of the person with these traits."""


class LocalInsiSimulator(InsiClient):
    """INSi answers computed from a CSV of synthetic test identities."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path or getattr(settings, "ENRS_INSI_TEST_FILE", "") or DEFAULT_TEST_FILE)
        self.identities = self._read(self.path)

    @staticmethod
    def _read(path: Path) -> list[InsIdentity]:
        with path.open(encoding="utf-8", newline="") as handle:
            return [
                InsIdentity(
                    matricule=row["matricule"].strip(),
                    oid=row["oid"].strip(),
                    birth_name=row["birth_name"].strip(),
                    birth_first_names=tuple(row["birth_first_names"].split()),
                    birth_date=row["birth_date"].strip(),
                    sex=row["sex"].strip(),
                    birth_place_insee=row["birth_place_insee"].strip(),
                )
                for row in csv.DictReader(handle)
            ]

    @staticmethod
    def _matches(identity: InsIdentity, query: InsiQuery) -> bool:
        first = identity.birth_first_names[0] if identity.birth_first_names else ""
        return (
            _fold(identity.birth_name) == _fold(query.birth_name)
            and _fold(first) == _fold(query.first_name.split()[0] if query.first_name.split() else "")
            and identity.birth_date == query.birth_date
            and identity.sex == query.sex
            and (not query.birth_place_insee or identity.birth_place_insee == query.birth_place_insee.upper())
        )

    @staticmethod
    def _answer(found: list[InsIdentity]) -> InsiResponse:
        if not found:
            return InsiResponse(NOT_FOUND)
        if len(found) > 1:
            return InsiResponse(SEVERAL)
        return InsiResponse(FOUND, found[0])

    def search(self, query: InsiQuery) -> InsiResponse:
        return self._answer([identity for identity in self.identities if self._matches(identity, query)])

    def verify(self, matricule: str, oid: str, query: InsiQuery) -> InsiResponse:
        return self._answer(
            [i for i in self.identities if i.matricule == matricule and i.oid == oid and self._matches(i, query)]
        )


def get_client() -> InsiClient:
    dotted = getattr(settings, "ENRS_INSI_CLIENT", "") or "enrs.identity.insi.LocalInsiSimulator"
    return import_string(dotted)()
