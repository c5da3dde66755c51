"""Pathway templates (e-Parcours) as data: YAML, validated, with French errors naming the step and field.

A template::

    code: vigilans
    name: VigilanS — recontact après une tentative de suicide
    description: ...
    steps:
      - code: j10
        title: Appel de recontact à J+10
        role: Vigilanseur
        delay_days: 10           # or delay_months (both add up), from the pathway's reference date

Shipped templates live in ``enrs/coordination/pathways/*.yaml`` and are loaded
into ``PathwayTemplate`` rows (agency staff edit them in the admin, where the
same validation runs).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

BUILTIN_DIR = Path(__file__).parent / "pathways"
MAX_STEPS = 100
MAX_DELAY_DAYS = 3660
_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


@dataclass(frozen=True)
class Step:
    code: str
    title: str
    role: str
    delay_days: int = 0
    delay_months: int = 0
    description: str = ""

    def due_date(self, start: datetime.date) -> datetime.date:
        return start + relativedelta(months=self.delay_months, days=self.delay_days)


@dataclass(frozen=True)
class Template:
    code: str
    name: str
    description: str
    steps: tuple[Step, ...]


def _text(data: dict, key: str, where: str, errors: list[str], *, required: bool = True, limit: int = 200) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(_("%(where)s : « %(key)s » doit être un texte.") % {"where": where, "key": key})
        return ""
    value = value.strip()
    if required and not value:
        errors.append(_("%(where)s : « %(key)s » est obligatoire.") % {"where": where, "key": key})
    if len(value) > limit:
        errors.append(_("%(where)s : « %(key)s » dépasse %(n)d caractères.") % {"where": where, "key": key, "n": limit})
    return value


def _delay(data: dict, key: str, where: str, errors: list[str], maximum: int) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        errors.append(_("%(where)s : « %(key)s » doit être un entier entre 0 et %(max)d.") % {"where": where, "key": key, "max": maximum})
        return 0
    return value


def _step(raw, index: int, errors: list[str]) -> Step | None:
    where = _("étape %(n)d") % {"n": index}
    if not isinstance(raw, dict):
        errors.append(_("%(where)s : une étape est un dictionnaire (code, title, role, delay_days).") % {"where": where})
        return None
    unknown = sorted(set(raw) - {"code", "title", "role", "delay_days", "delay_months", "description"})
    if unknown:
        errors.append(_("%(where)s : champs inconnus : %(keys)s.") % {"where": where, "keys": ", ".join(map(str, unknown))})
    code = _text(raw, "code", where, errors, limit=60)
    if code and not _CODE_RE.match(code):
        errors.append(_("%(where)s : le code « %(code)s » ne doit contenir que des minuscules, chiffres, - et _.") % {"where": where, "code": code})
    return Step(
        code=code,
        title=_text(raw, "title", where, errors),
        role=_text(raw, "role", where, errors, limit=120),
        delay_days=_delay(raw, "delay_days", where, errors, MAX_DELAY_DAYS),
        delay_months=_delay(raw, "delay_months", where, errors, 120),
        description=_text(raw, "description", where, errors, required=False, limit=2000),
    )


def parse_template(text: str) -> Template:
    """The template described by ``text`` (YAML), or a ValidationError listing every problem."""
    try:
        data = yaml.safe_load(text or "")
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = _(" (ligne %(n)d)") % {"n": line + 1} if line is not None else ""
        raise ValidationError({"definition": [_("YAML illisible%(where)s.") % {"where": where}]}) from exc
    if not isinstance(data, dict):
        raise ValidationError({"definition": [_("Le modèle doit être un dictionnaire (code, name, steps).")]})
    errors: list[str] = []
    code = _text(data, "code", _("modèle"), errors, limit=60)
    if code and not _CODE_RE.match(code):
        errors.append(_("modèle : le code « %(code)s » ne doit contenir que des minuscules, chiffres, - et _.") % {"code": code})
    name = _text(data, "name", _("modèle"), errors)
    description = _text(data, "description", _("modèle"), errors, required=False, limit=2000)
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        errors.append(_("modèle : « steps » doit être une liste d'au moins une étape."))
        raw_steps = []
    if len(raw_steps) > MAX_STEPS:
        errors.append(_("modèle : au plus %(n)d étapes.") % {"n": MAX_STEPS})
    steps = [step for index, raw in enumerate(raw_steps, start=1) if (step := _step(raw, index, errors)) is not None]
    codes = [step.code for step in steps if step.code]
    for duplicate in sorted({c for c in codes if codes.count(c) > 1}):
        errors.append(_("modèle : le code d'étape « %(code)s » est répété.") % {"code": duplicate})
    if errors:
        raise ValidationError({"definition": errors})
    return Template(code=code, name=name, description=description, steps=tuple(steps))


def builtin_templates() -> list[tuple[Template, str]]:
    """The shipped templates with their YAML text, sorted by file name."""
    found = []
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        found.append((parse_template(text), text))
    return found
