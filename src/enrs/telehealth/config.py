"""Telehealth reference data loaded from YAML and validated (programmes, tariffs, professions).

The files live in ``enrs/telehealth/data/``; settings ``ENRS_TELEHEALTH_PROGRAMMES`` and
``ENRS_TELEHEALTH_REFERENCE`` point elsewhere when a region has its own. A malformed file
raises ``ConfigError`` naming the file and the field: it is caught at start-up by the tests,
never half-read.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DATA = Path(__file__).resolve().parent / "data"


class ConfigError(Exception):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    link_id: str = Field(pattern=r"^[a-z0-9_-]+$")
    text: str
    type: Literal["boolean", "integer", "decimal", "text"]
    required: bool = True
    min: Decimal | None = None
    max: Decimal | None = None
    alert_if: bool | None = None
    alert_above: Decimal | None = None
    alert_below: Decimal | None = None


class Questionnaire(_Strict):
    code: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str
    every_days: int = Field(gt=0, le=365)
    items: tuple[Item, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_items(self):
        ids = [item.link_id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError(f"questionnaire {self.code}: duplicate link_id")
        return self


class InrSettings(_Strict):
    plausible_min: Decimal = Field(gt=0)
    plausible_max: Decimal
    default_target: tuple[Decimal, Decimal]

    @model_validator(mode="after")
    def _ordered(self):
        low, high = self.default_target
        if not (self.plausible_min <= low < high <= self.plausible_max):
            raise ValueError("inr: plausible_min <= target low < target high <= plausible_max")
        return self


class WoundSettings(_Strict):
    area_growth_alert: Decimal = Field(gt=0)
    max_dimension_mm: int = Field(gt=0)


class Programme(_Strict):
    code: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    kinds: tuple[Literal["inr", "wound", "questionnaire"], ...] = Field(min_length=1)
    colleges: tuple[str, ...] = ()
    inr: InrSettings | None = None
    wound: WoundSettings | None = None
    questionnaires: tuple[Questionnaire, ...] = ()

    @model_validator(mode="after")
    def _settings_for_kinds(self):
        if "inr" in self.kinds and self.inr is None:
            raise ValueError(f"programme {self.code}: kind inr needs an inr section")
        if "wound" in self.kinds and self.wound is None:
            raise ValueError(f"programme {self.code}: kind wound needs a wound section")
        if "questionnaire" in self.kinds and not self.questionnaires:
            raise ValueError(f"programme {self.code}: kind questionnaire needs questionnaires")
        return self

    def questionnaire(self, code: str) -> Questionnaire | None:
        return next((q for q in self.questionnaires if q.code == code), None)


class Programmes(_Strict):
    programmes: tuple[Programme, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self):
        codes = [p.code for p in self.programmes]
        if len(codes) != len(set(codes)):
            raise ValueError("duplicate programme code")
        return self


class Tariff(_Strict):
    code: str
    label: str
    amount: Decimal = Field(ge=0, decimal_places=2)
    valid_from: dt.date
    valid_to: dt.date | None = None
    unconfirmed: bool = False


class UrgentSettings(_Strict):
    default_delay_seconds: int = Field(gt=0)
    delay_seconds_by_specialty: dict[str, int] = {}


class Reference(_Strict):
    tariffs: tuple[Tariff, ...]
    acts: dict[str, dict[str, str]]
    telesoin_professions: tuple[str, ...]
    urgent: UrgentSettings
    expertise_answer_days: int = Field(gt=0)

    @model_validator(mode="after")
    def _no_overlapping_tariffs(self):
        by_code: dict[str, list[Tariff]] = {}
        for tariff in self.tariffs:
            by_code.setdefault(tariff.code, []).append(tariff)
        for code, periods in by_code.items():
            periods.sort(key=lambda t: t.valid_from)
            for before, after in zip(periods, periods[1:], strict=False):
                if before.valid_to is None or before.valid_to >= after.valid_from:
                    raise ValueError(f"tariff {code}: overlapping periods from {after.valid_from}")
        return self


def _load(path: Path, model):
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError, ValueError) as error:
        raise ConfigError(f"{path}: {error}") from error


@lru_cache(maxsize=4)
def _programmes(path: str) -> Programmes:
    return _load(Path(path), Programmes)


@lru_cache(maxsize=4)
def _reference(path: str) -> Reference:
    return _load(Path(path), Reference)


def programmes() -> tuple[Programme, ...]:
    path = getattr(settings, "ENRS_TELEHEALTH_PROGRAMMES", "") or str(DATA / "programmes.yaml")
    return _programmes(path).programmes


def programme(code: str) -> Programme | None:
    return next((p for p in programmes() if p.code == code), None)


def reference() -> Reference:
    path = getattr(settings, "ENRS_TELEHEALTH_REFERENCE", "") or str(DATA / "telehealth.yaml")
    return _reference(path)


def load_programmes_file(path: Path) -> Programmes:
    """Validate a programmes file without installing it (used by tests and operators)."""
    return _load(path, Programmes)


def tariff_on(code: str, day: dt.date) -> Tariff | None:
    return next((t for t in reference().tariffs if t.code == code and t.valid_from <= day and (t.valid_to is None or day <= t.valid_to)), None)


def escalation_delay(specialty_code: str) -> dt.timedelta:
    urgent = reference().urgent
    return dt.timedelta(seconds=urgent.delay_seconds_by_specialty.get(specialty_code, urgent.default_delay_seconds))
