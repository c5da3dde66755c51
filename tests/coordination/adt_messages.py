"""HL7 ADT builders for the coordination tests (movements A01/A02/A03/A04/A11/A13)."""

from __future__ import annotations

from identity.feeds.conftest import AUTHORITY_NS, AUTHORITY_OID, APP, FACILITY, ack_code, errors_of, ipp, message, msh, pid  # noqa: F401

MOVEMENTS = ("A01", "A02", "A03", "A04", "A11", "A13")
STRUCTURES = {"A01": "ADT_A01", "A02": "ADT_A02", "A03": "ADT_A03", "A04": "ADT_A01", "A11": "ADT_A09", "A13": "ADT_A01"}


def movement(event: str, control_id: str, local: str = "IPP-COORD-1", *, when: str = "20260302143000", unit: str = "CARDIO",
             evn_when: str | None = None) -> bytes:
    header = msh(event, control_id, structure=STRUCTURES.get(event, "ADT_A01"))
    evn = f"EVN|{event}|{evn_when if evn_when is not None else when}"
    pv1 = f"PV1|1|I|{unit}^101^1^{FACILITY}||||||||||||||||V-{control_id}"
    return message(header, evn, pid([ipp(local)]), pv1)
