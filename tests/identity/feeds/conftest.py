"""Fixtures of the identity feeds: an HL7 sender, message builders, synthetic identities."""

from __future__ import annotations

import pytest

from enrs.core.validators import finess_complete, nir_complete
from enrs.directory import services as directory
from enrs.identity.models import OID_NIR_TEST
from enrs.interfaces import services as interfaces

APP, FACILITY = "GAM_CAEN", "CHU_CAEN"
AUTHORITY_NS, AUTHORITY_OID = "CHU_CAEN_IPP", "1.2.250.1.999.1.1"
# Synthetic NIR of a woman born in May 1980 in Caen (14118), key computed.
NIR = nir_complete("2800514118123")
NIR_BAD_KEY = NIR[:13] + f"{(int(NIR[13:]) + 1) % 97:02d}"


@pytest.fixture
def sender(db):
    organisation = directory.upsert_organisation(
        {"finess": finess_complete("14000055"), "finess_kind": "EJ", "name": "CHU de Caen (test)", "kind": "CH"}
    ).obj
    return interfaces.upsert_sender(
        {"name": "GAM CHU Caen", "sending_application": APP, "sending_facility": FACILITY, "organisation": organisation,
         "authority_namespace": AUTHORITY_NS, "authority_oid": AUTHORITY_OID}
    )


def ipp(value: str) -> str:
    return f"{value}^^^{AUTHORITY_NS}&{AUTHORITY_OID}&ISO^PI"


def ins(value: str = NIR, oid: str = OID_NIR_TEST) -> str:
    return f"{value}^^^ASIP-SANTE-INS-NIR&{oid}&ISO^INS"


def msh(event: str, control_id: str, *, structure: str = "", version: str = "2.5", app: str = APP,
        facility: str = FACILITY, message_type: str = "ADT", charset: str = "UNICODE UTF-8") -> str:
    structure = structure or {"A28": "ADT_A05", "A31": "ADT_A05", "A40": "ADT_A39", "A47": "ADT_A30"}.get(event, "")
    fields = ["MSH", "^~\\&", app, facility, "ENRS", "ARS", "20260301101500+0100", "",
              f"{message_type}^{event}^{structure}", control_id, "P", version, "", "", "", "", "FRA", charset]
    return "|".join(fields)


def pid(identifiers: list[str], *, birth_name="MARTIN", given="Louise", further="Louise Anne", used_name="",
        used_given="", birth_date="19800512", sex="F", birth_place="14118", reliability="VALI") -> str:
    fields = ["PID"] + [""] * 32
    fields[1] = "1"
    fields[3] = "~".join(identifiers)
    names = [f"{birth_name}^{given}^{further}^^^^L"]
    if used_name:
        names.append(f"{used_name}^{used_given}^^^^^D")
    fields[5] = "~".join(names)
    fields[7] = birth_date
    fields[8] = sex
    fields[11] = f"^^^^^^BDL^^{birth_place}" if birth_place else ""
    fields[32] = reliability
    return "|".join(fields).rstrip("|")


def message(*segments: str) -> bytes:
    return ("\r".join(segments) + "\r").encode("utf-8")


def a28(control_id: str, local: str = "IPP1001", **traits) -> bytes:
    identifiers = traits.pop("identifiers", None) or [ipp(local)]
    return message(msh("A28", control_id), "EVN|A28|20260301101500", pid(identifiers, **traits))


def segments_of(ack: bytes) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    for line in ack.decode("utf-8").strip("\r").split("\r"):
        fields = line.split("|")
        found.setdefault(fields[0], []).append(fields)
    return found


def ack_code(ack: bytes) -> str:
    return segments_of(ack)["MSA"][0][1]


def errors_of(ack: bytes) -> list[list[str]]:
    return segments_of(ack).get("ERR", [])
