"""The reference amounts (2025 catalogue and 2024 activity report), loaded as initial tariffs.

Source: shared/reference/catalogue-and-tariffs.md. In force from the general
assembly of 17 March 2025. Amounts are read as excluding tax (the DPM table says
« HT » explicitly; the other tables are silent). VAT: the capital contribution
and the annual contribution are not invoiced services (equity and contribution
to the shared costs of the GCS) and carry no VAT; every other amount carries the
standard rate ``ENRS_MEMBERSHIP_VAT_RATE`` (20 % by default) — an assumption the
reference does not confirm, kept as editable data on each tariff row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

REFERENCE_DATE = dt.date(2025, 3, 17)
SOURCE = "Catalogue des services 2025 / rapport d'activité 2024 (AG du 17/03/2025)"

# (kind, category, unit, label, amount, amount_max, max_quantity, taxable)
REFERENCE_TARIFFS = [
    # Capital contribution per member of the collège (paid once, refunded on withdrawal).
    ("capital", "A", "once", "Apport en capital — collège A", "16.48", None, None, False),
    ("capital", "B", "once", "Apport en capital — collège B", "23.08", None, None, False),
    ("capital", "C", "once", "Apport en capital — collège C", "4.10", None, None, False),
    ("capital", "D", "once", "Apport en capital — collège D", "27.78", None, None, False),
    ("capital", "E", "once", "Apport en capital — collège E", "0.00", None, None, False),
    ("capital", "F", "once", "Apport en capital — collège F", "0.00", None, None, False),
    # Annual contribution per member category (gives the pack adhérent).
    ("annual", "A_CHU", "year", "Contribution annuelle — CHU", "5000.00", None, None, False),
    ("annual", "A_GHT", "year", "Contribution annuelle — établissement support de GHT (hors CHU)", "2000.00", None, None, False),
    ("annual", "A_OTHER", "year", "Contribution annuelle — autre établissement de santé", "750.00", None, None, False),
    ("annual", "B", "year", "Contribution annuelle — collège B", "100.00", None, None, False),
    ("annual", "C", "year", "Contribution annuelle — collège C", "100.00", None, None, False),
    ("annual", "D", "year", "Contribution annuelle — collège D", "0.00", None, None, False),
    ("annual", "E", "year", "Contribution annuelle — collège E", "0.00", None, None, False),
    ("annual", "F", "year", "Contribution annuelle — collège F", "100.00", None, None, False),
    # Pack complémentaire, per month.
    ("pack", "A_CHU", "ets_month", "Pack complémentaire — CHU", "600.00", None, None, True),
    ("pack", "A_GHT", "ets_month", "Pack complémentaire — établissement support de GHT (hors CHU)", "400.00", None, None, True),
    ("pack", "A_OTHER", "ets_month", "Pack complémentaire — autre établissement sanitaire", "200.00", None, None, True),
    ("pack", "C", "ets_month", "Pack complémentaire — établissement social ou médico-social", "100.00", None, None, True),
    ("pack", "OTHER", "user_month", "Pack complémentaire — autres membres, par utilisateur", "10.00", None, None, True),
    ("pack", "OTHER", "struct_month", "Pack complémentaire — autres membres, par structure", "100.00", None, None, True),
    # Options.
    ("imaging", "", "ets_month", "Option partage et échange d'imagerie", "200.00", None, None, True),
    ("editing_first", "", "page", "Editing — première page", "0.90", None, None, True),
    ("editing_extra", "", "page", "Editing — page supplémentaire (4 au plus)", "0.15", None, 4, True),
    # Consulting and expertise (day of 7 hours unless stated).
    ("consulting", "project_manager", "day", "Accompagnement par un chef de projets", "445.00", None, None, True),
    ("consulting", "legal", "day", "Accompagnement juridique", "490.00", None, None, True),
    ("consulting", "consultant", "day", "Accompagnement par un consultant", "490.00", None, None, True),
    ("consulting", "ciso", "day", "Accompagnement RSSI", "650.00", None, None, True),
    ("consulting", "medical_referent", "day", "Accompagnement par un référent médical", "715.00", "815.00", None, True),
    ("consulting", "coordination", "day", "Coordination de l'activité", "380.00", "480.00", None, True),
    ("consulting", "facilitation", "day", "Animation", "390.00", None, None, True),
    ("consulting", "onboarding", "hour", "Accompagnement à la prise en main des outils", "90.00", None, None, True),
    ("consulting", "elearnes_training", "session", "Formation e-LearNeS (2 journées, 14 h)", "1950.00", None, None, True),
    # Infrastructure: e-m@ge (Covolink DICOM module with XDS proxy extension).
    ("emage_setup", "", "once", "e-m@ge — mise en œuvre du service", "3600.00", None, None, True),
    ("emage_yearly", "", "year", "e-m@ge — accès annuel au service", "2400.00", None, None, True),
    # DPM, per month excluding VAT (most plausible reading of an ambiguous table: flagged in the docs).
    ("dpm", "A_CHU", "month", "DPM — CHU", "50.00", None, None, True),
    ("dpm", "A_GHT", "month", "DPM — CH support de GHT", "40.00", None, None, True),
    ("dpm", "A_OTHER", "month", "DPM — autre établissement sanitaire", "30.00", None, None, True),
    ("dpm", "B", "month", "DPM — collège B", "15.00", None, None, True),
    ("dpm", "C", "month", "DPM — collège C", "20.00", None, None, True),
    ("dpm", "D", "month", "DPM — collège D", "20.00", None, None, True),
]

CONSULTING_ROLES = [row[1] for row in REFERENCE_TARIFFS if row[0] == "consulting"]


def rows(vat_rate: Decimal):
    """The reference rows as model field values, VAT resolved."""
    for kind, category, unit, label, amount, amount_max, max_quantity, taxable in REFERENCE_TARIFFS:
        yield {
            "kind": kind,
            "category": category,
            "unit": unit,
            "label": label,
            "amount": Decimal(amount),
            "amount_max": Decimal(amount_max) if amount_max else None,
            "max_quantity": max_quantity,
            "vat_rate": vat_rate if taxable else Decimal("0.00"),
            "effective_from": REFERENCE_DATE,
            "source": SOURCE,
        }
