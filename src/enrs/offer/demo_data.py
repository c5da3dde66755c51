"""Care offers and capacity of the demo region's hospitals (called by ``enrs demo``).

Each hospital site of the demo directory gets a place and a few operational
offers with real TRE_R211/R213 codes; university hospitals also offer pain
medicine (« douleur ») with tele-expertise. Identifiers derive from the site's
FINESS, and capacity figures are declared once (a re-run keeps them): running
the demo twice changes nothing. Synthetic data only.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from django.utils import timezone

from enrs.offer import services

# role in the demo catalogue -> offers: (suffix, name, activity R211, care mode R213, extra)
OFFERS_BY_ROLE = {
    "hopital": [
        ("URG", "Urgences", "157", "33", {"publics": ["07"]}),
        ("CARDIO", "Hospitalisation de cardiologie", "013", "28", {"publics": ["07"], "equipment": ["COR"]}),
        ("ORTHO", "Chirurgie orthopédique ambulatoire", "025", "09", {"publics": ["07"]}),
        ("DOUL", "Consultation douleur chronique", "004", "20", {"publics": ["07", "09"], "specialisations": ["DOUL-CHRON"]}),
    ],
    "clcc": [("ONCO-DOUL", "Prise en charge de la douleur en cancérologie", "004", "20",
              {"publics": ["09"], "specialisations": ["ONCO"]})],
    "clinique": [("ORTHO", "Chirurgie orthopédique", "025", "28", {"publics": ["07"]}),
                 ("AMBU", "Chirurgie ambulatoire", "022", "09", {"publics": ["07"]})],
}
CAPACITY_ROLES = {"hopital": 40, "clinique": 20, "clcc": 15}


def _telehealth(organisation, suffix: str) -> list[dict]:
    if suffix in {"DOUL", "ONCO-DOUL"}:
        return [{"kind": "teleexpertise", "channel": "plateforme", "address": "https://telemedecine.enrs.invalid/douleur",
                 "instructions": "Joindre le dernier compte rendu et le traitement en cours.", "response_hours": 72},
                {"kind": "teleconsultation", "channel": "web", "address": "https://rdv.enrs.invalid"}]
    if suffix == "CARDIO":
        return [{"kind": "teleexpertise", "channel": "mssante", "address": f"cardiologie.{organisation.finess}@demo.mssante.invalid"}]
    return []


def build_demo_offers(sites: Iterable[tuple[str, object]], communes: Iterable[dict], seed: int) -> list[str]:
    """Upsert places, offers and capacity for ``(role, organisation)`` sites; the statuses."""
    services.load_communes(communes)
    statuses = []
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for role, organisation in sites:
        if role not in OFFERS_BY_ROLE or not organisation.finess:
            continue
        rng = random.Random(f"{seed}-{organisation.finess}")  # per site: independent of the other sites' history
        place = services.upsert_place({"identifier": f"LIEU-{organisation.finess}", "name": f"{organisation.name} — site",
                                       "establishment": organisation, "function": "001"})
        statuses.append(place.status)
        for suffix, name, activity, care_mode, extra in OFFERS_BY_ROLE[role]:
            if suffix == "DOUL" and organisation.kind != "CHU" and rng.random() < 0.5:
                continue
            result = services.upsert_offer({
                "identifier": f"OFFRE-{organisation.finess}-{suffix}", "name": name, "establishment": organisation,
                "place": place.obj.identifier, "activity": activity, "care_mode": care_mode,
                "opening_hours": [{"weekday": day, "opens": "08:30", "closes": "18:00"} for day in range(1, 6)],
                "contacts": [{"purpose": "06", "phone": organisation.phone or "0231000000"}],
                "telehealth": _telehealth(organisation, suffix), **extra,
            })
            statuses.append(result.status)
        installed = CAPACITY_ROLES[role]
        if place.obj.capacities.exists():  # figures already declared: a re-run keeps them
            statuses.append("unchanged")
            continue
        for status, count in (("01", installed), ("02", rng.randint(0, installed // 3)), ("03", installed // 2)):
            statuses.append(services.update_capacity(place.obj, {
                "capacity_type": "01", "status": status, "count": count, "source_type": "SAISIE", "updated_at": now,
            }, channel="demo").status)
    return statuses
