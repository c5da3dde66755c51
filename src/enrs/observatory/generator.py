"""Synthetic RPU files: realistic enough for tests, the demo and the benchmark.

Deterministic for a given seed. Distributions (documented in docs/services/observatory.md,
loosely shaped on the FEDORU "panoramas" figures, not on any real establishment):
- volume per day: ``per_day`` × weekday factor (Monday +12 %, Sunday +5 %, Thursday −5 %)
  × season factor (winter peak +10 %, summer +5 %, spring/autumn −5 %), Poisson-like noise;
- hour of arrival: a daytime profile (trough at 5 h, peaks late morning and early evening);
- age: bands weighted like an adult/paediatric ED (≈ 25 % under 18, ≈ 15 % 75 and over);
- CCMU: 1 15 %, 2 64 %, 3 14 %, 4 1.5 %, 5 0.4 %, P 5 %, D 0.1 %;
- hospitalisation probability rising with age and CCMU; length of stay log-normal
  (median ≈ 2 h 30 at home, ≈ 5 h when hospitalised);
- diagnoses by age band, with winter influenza, bronchiolitis and gastro-enteritis.

``error_rate`` corrupts that share of records, each with exactly one defect from
:data:`CORRUPTIONS` (every one caught by the checks), so tests can assert that
exactly those records are quarantined.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

# Public communes of the demo region (name, postcode); "99999" = unknown (InVS format).
PLACES = (
    ("Caen", "14000"), ("Bayeux", "14400"), ("Lisieux", "14100"), ("Honfleur", "14600"), ("Évreux", "27000"),
    ("Vernon", "27200"), ("Louviers", "27400"), ("Saint-Lô", "50000"), ("Cherbourg-en-Cotentin", "50100"),
    ("Granville", "50400"), ("Alençon", "61000"), ("Argentan", "61200"), ("Flers", "61100"), ("Rouen", "76000"),
    ("Le Havre", "76600"), ("Dieppe", "76200"), ("Fécamp", "76400"), ("Elbeuf", "76500"), ("Inconnue", "99999"),
)
HOUR_WEIGHTS = (3, 2.4, 2, 1.6, 1.3, 1.2, 1.6, 2.8, 4.6, 6, 6.6, 6.5, 5.8, 5.6, 6, 6.1, 6, 6, 6.2, 5.8, 5, 4.4, 3.8, 3.4)
WEEKDAY_FACTOR = (1.12, 1.0, 0.99, 0.95, 1.0, 0.98, 1.05)
AGE_BANDS = ((0, 0, 3), (1, 4, 7), (5, 14, 10), (15, 17, 5), (18, 29, 15), (30, 44, 16), (45, 64, 18), (65, 74, 10),
             (75, 84, 9), (85, 99, 7))
GRAVITE_WEIGHTS = (("1", 15), ("2", 64), ("3", 14), ("4", 1.5), ("5", 0.4), ("P", 5), ("D", 0.1))
TRANSPORT_WEIGHTS = (("PERSO", 72), ("AMBU", 14), ("VSAB", 10), ("SMUR", 2), ("FO", 1.5), ("HELI", 0.5))
DIAGNOSES = {
    "child": (("J069", 12), ("A099", 8), ("R509", 8), ("S0600", 4), ("S6260", 5), ("T189", 2), ("H669", 6), ("S5250", 4),
              ("L500", 3), ("R11", 4)),
    "adult": (("R074", 8), ("S934", 7), ("S6260", 6), ("R104", 7), ("M545", 6), ("N390", 4), ("J069", 4), ("R51", 4),
              ("F100", 3), ("S0100", 5), ("R55", 3), ("I10", 2), ("K358", 2)),
    "elderly": (("R074", 6), ("J189", 7), ("I509", 6), ("S7200", 5), ("R55", 5), ("N390", 5), ("I489", 4), ("R410", 3),
                ("I639", 3), ("J441", 4)),
}
WINTER_DIAGNOSES = {"child": ("J219", "A090", "J111"), "adult": ("J111", "A090"), "elderly": ("J111", "J189")}
MOTIFS = ("GASTRO04", "TRAUMA01", "RESP02", "CARDIO01", "NEURO03", "GENE05", "PSY01", "DOUL02")
ACTES = ("DEQP003", "ZBQK002", "YYYY600", "QZJA002", "MZMP002", "LAQK013")
ORIENT_HOSPITAL = (("MED", 45), ("CHIR", 20), ("UHCD", 25), ("SC", 4), ("SI", 2), ("REA", 2), ("OBST", 2))
ORIENT_HOME = (("", 92), ("PSA", 4), ("SCAM", 2), ("FUGUE", 1), ("REO", 1))


def _pick(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def _season_factor(day: dt.date) -> float:
    # +10 % around mid-January, +5 % in August, a little less in spring/autumn.
    phase = 2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25
    return 1 + 0.075 * math.cos(phase) + 0.04 * max(0.0, math.cos(2 * math.pi * (day.timetuple().tm_yday - 227) / 365.25)) ** 8


def _is_winter_epidemic(day: dt.date) -> bool:
    return day.month in (12, 1, 2)


def passages_on(day: dt.date, per_day: int, rng: random.Random) -> int:
    mean = per_day * WEEKDAY_FACTOR[day.weekday()] * _season_factor(day)
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def _age_group(age: int) -> str:
    return "child" if age < 15 else ("elderly" if age >= 75 else "adult")


def _existing(local: dt.datetime) -> dt.datetime:
    """Skip the hour that does not exist when clocks go forward (real software never writes 02:30 that night)."""
    aware = local.replace(tzinfo=PARIS)
    if aware.astimezone(dt.UTC).astimezone(PARIS).replace(tzinfo=None) != local:
        return local + dt.timedelta(hours=1)
    return local


def _fmt_dt(value: dt.datetime) -> str:
    return value.strftime("%d/%m/%Y %H:%M")


def synthetic_record(day: dt.date, rng: random.Random) -> dict:
    """One coherent passage entering on ``day`` (fields as in the file, DA/ACTE lists)."""
    hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
    entry = _existing(dt.datetime.combine(day, dt.time(hour, rng.randrange(60))))
    low, high, _w = rng.choices(AGE_BANDS, [b[2] for b in AGE_BANDS])[0]
    age = rng.randint(low, high)
    birth = entry.date() - dt.timedelta(days=age * 365 + rng.randrange(365) + age // 4)
    birth = min(birth, entry.date())
    sex = "M" if rng.random() < 0.51 else "F"
    gravite = _pick(rng, GRAVITE_WEIGHTS)
    group = _age_group(age)
    if _is_winter_epidemic(day) and rng.random() < 0.12:
        dp = rng.choice(WINTER_DIAGNOSES[group] if age < 2 or group != "child" else ("J111", "A090"))
    else:
        dp = _pick(rng, DIAGNOSES[group])
    severity = {"1": 0.0, "2": 0.1, "P": 0.3, "3": 0.45, "4": 0.9, "5": 0.95, "D": 0.0}[gravite]
    hospitalised = rng.random() < min(0.95, severity + (0.2 if age >= 75 else 0.03))
    if gravite == "D":
        mode_sortie, destination, orient = "9", "", ""
    elif hospitalised:
        mode_sortie = "6" if rng.random() < 0.85 else "7"
        destination = "4" if gravite == "P" else "1"
        orient = "HO" if gravite == "P" and rng.random() < 0.1 else _pick(rng, ORIENT_HOSPITAL)
    else:
        mode_sortie, destination, orient = "8", "", _pick(rng, ORIENT_HOME)
    stay_hours = rng.lognormvariate(math.log(5 if hospitalised else 2.5), 0.6)
    exit_ = _existing(entry + dt.timedelta(minutes=max(5, min(int(stay_hours * 60), 70 * 60))))
    transferred_in = rng.random() < 0.03
    place, postcode = rng.choice(PLACES)
    return {
        "CP": postcode, "COMMUNE": place, "NAISSANCE": birth.strftime("%d/%m/%Y"), "SEXE": sex,
        "ENTREE": _fmt_dt(entry), "MODE_ENTREE": "7" if transferred_in else "8",
        "PROVENANCE": "1" if transferred_in else ("8" if rng.random() < 0.1 else "5"),
        "TRANSPORT": _pick(rng, TRANSPORT_WEIGHTS), "TRANSPORT_PEC": "AUCUN" if rng.random() < 0.8 else "PARAMED",
        "MOTIF": rng.choice(MOTIFS), "GRAVITE": gravite, "DP": dp,
        "DA": ["R509"] if rng.random() < 0.1 else [],
        "ACTE": [rng.choice(ACTES)] if rng.random() < 0.4 else [],
        "SORTIE": _fmt_dt(exit_), "MODE_SORTIE": mode_sortie, "DESTINATION": destination, "ORIENT": orient,
    }


def _corrupt_date(r, rng):
    r["ENTREE"] = "31/02/" + r["ENTREE"][6:]


def _exit_before_entry(r, rng):
    entry = dt.datetime.strptime(r["ENTREE"], "%d/%m/%Y %H:%M")
    r["SORTIE"] = _fmt_dt(entry - dt.timedelta(hours=1))


def _stay_too_long(r, rng):
    entry = dt.datetime.strptime(r["ENTREE"], "%d/%m/%Y %H:%M")
    r["SORTIE"] = _fmt_dt(entry + dt.timedelta(hours=80))


def _too_old(r, rng):
    r["NAISSANCE"] = "01/01/1880"


def _sex_specific(r, rng):
    r["SEXE"], r["DP"] = "M", "O800"


def _provenance(r, rng):
    r["MODE_ENTREE"], r["PROVENANCE"] = "6", "5"


def _orientation(r, rng):
    r["MODE_SORTIE"], r["DESTINATION"], r["ORIENT"] = "8", "", "REA"


def _bad_cim10(r, rng):
    r["DP"] = "9ZZ"


def _bad_code(r, rng):
    r["GRAVITE"] = "7"


CORRUPTIONS = (_corrupt_date, _exit_before_entry, _stay_too_long, _too_old, _sex_specific, _provenance, _orientation,
               _bad_cim10, _bad_code)


def records_for_day(day: dt.date, per_day: int, rng: random.Random, error_rate: float = 0.0) -> Iterator[tuple[dict, bool]]:
    """(record, corrupted?) pairs for one day."""
    for _n in range(passages_on(day, per_day, rng)):
        record = synthetic_record(day, rng)
        corrupted = error_rate > 0 and rng.random() < error_rate
        if corrupted:
            rng.choice(CORRUPTIONS)(record, rng)
        yield record, corrupted


def _element(tag: str, value: str) -> str:
    return f"<{tag}>{escape(value)}</{tag}>" if value else ""


def patient_xml(record: dict) -> str:
    parts = ["<PATIENT>"]
    for tag in ("CP", "COMMUNE", "NAISSANCE", "SEXE", "ENTREE", "MODE_ENTREE", "PROVENANCE", "TRANSPORT", "TRANSPORT_PEC",
                "MOTIF", "GRAVITE", "DP"):
        parts.append(_element(tag, record.get(tag, "")))
    if record.get("DA"):
        parts.append("<LISTE_DA>" + "".join(_element("DA", c) for c in record["DA"]) + "</LISTE_DA>")
    if record.get("ACTE"):
        parts.append("<LISTE_ACTES>" + "".join(_element("ACTE", c) for c in record["ACTE"]) + "</LISTE_ACTES>")
    for tag in ("SORTIE", "MODE_SORTIE", "DESTINATION", "ORIENT"):
        parts.append(_element(tag, record.get(tag, "")))
    parts.append("</PATIENT>")
    return "".join(parts)


def file_xml(finess: str, first_day: dt.date, last_day: dt.date, records: list[dict], *, extract: dt.datetime | None = None) -> str:
    extract = extract or dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(2, 30))
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<OSCOUR><ETABLISSEMENT>'
        f"<FINESS>{escape(finess)}</FINESS><ORDRE>0</ORDRE><EXTRACT>{extract:%d/%m/%Y %H:%M:%S}</EXTRACT>"
        f"<DATEDEBUT>{first_day:%d/%m/%Y}</DATEDEBUT><DATEFIN>{last_day:%d/%m/%Y}</DATEFIN></ETABLISSEMENT>\n<PASSAGES>\n"
    )
    return head + "\n".join(patient_xml(r) for r in records) + "\n</PASSAGES></OSCOUR>\n"


def generate(
    finess: str, first_day: dt.date, days: int, out: str | Path, *, per_day: int = 110, seed: int = 0,
    error_rate: float = 0.0, days_per_file: int = 1,
) -> list[tuple[Path, int, int]]:
    """Write one file per ``days_per_file`` days; return (path, records, corrupted) per file."""
    rng = random.Random(f"{seed}:{finess}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for start in range(0, days, days_per_file):
        file_first = first_day + dt.timedelta(days=start)
        file_last = first_day + dt.timedelta(days=min(days, start + days_per_file) - 1)
        records, corrupted = [], 0
        day = file_first
        while day <= file_last:
            for record, bad in records_for_day(day, per_day, rng, error_rate):
                records.append(record)
                corrupted += bad
            day += dt.timedelta(days=1)
        path = out / f"RPU_{finess}_{file_first:%Y%m%d}_{file_last:%Y%m%d}.xml"
        path.write_text(file_xml(finess, file_first, file_last, records), encoding="utf-8")
        written.append((path, len(records), corrupted))
    return written
