"""The ADT identity feed, message by message (handler called directly; socket tests in test_mllp_listener)."""

from __future__ import annotations

import pytest

from enrs.core.models import AccessEvent
from enrs.core.mllp import Frame
from enrs.identity import selectors
from enrs.identity.hl7 import birth_first_names, handle_frame
from enrs.identity.models import IdentityHistory, LocalIdentifier, OID_NIR_TEST, Patient
from enrs.interfaces.models import InboundMessage

from .conftest import (
    AUTHORITY_OID, NIR, NIR_BAD_KEY, a28, ack_code, errors_of, ins, ipp, message, msh, pid, segments_of,
)

PEER = "127.0.0.1:50000"


def send(payload: bytes, problem: str = "") -> bytes:
    return handle_frame(Frame(payload, PEER, problem, "hl7-test"))


def only_patient() -> Patient:
    (patient,) = Patient.objects.all()
    return patient


def test_a28_creates_the_identity_with_its_ipp_history_trail_and_journal(sender):
    ack = send(a28("MSG-1", used_name="DUPONT", used_given="Lou"))
    assert ack_code(ack) == "AA", ack
    assert segments_of(ack)["MSA"][0][2] == "MSG-1"
    assert segments_of(ack)["MSH"][0][8] == "ACK^A28^ACK"
    patient = only_patient()
    assert (patient.birth_name, patient.birth_first_names, patient.birth_date.isoformat()) == ("MARTIN", "Louise Anne", "1980-05-12")
    assert (patient.sex, patient.birth_place_insee, patient.used_name, patient.used_first_name) == ("F", "14118", "DUPONT", "Lou")
    assert patient.identity_status == "VALI"
    assert selectors.local_ids_of(patient) == [(AUTHORITY_OID, "IPP1001")]
    history = IdentityHistory.objects.filter(patient=patient, action="create").get()
    assert history.channel == "hl7" and "GAM CHU Caen" in history.actor_display
    assert AccessEvent.objects.filter(patient_id=patient.pk, channel="hl7", action="create").exists()
    journalled = InboundMessage.objects.get()
    assert (journalled.sender, journalled.control_id, journalled.ack_code, journalled.outcome) == (sender, "MSG-1", "AA", "created")
    assert journalled.ack == ack.decode() and journalled.patient_id == patient.pk


def test_a28_with_a_qualified_ins(sender):
    ack = send(a28("MSG-2", identifiers=[ipp("IPP2"), ins()], reliability="QUAL"))
    assert ack_code(ack) == "AA", ack
    patient = only_patient()
    assert (patient.ins_matricule, patient.ins_oid, patient.identity_status) == (NIR, OID_NIR_TEST, "QUAL")


def test_a28_recup_without_ins_is_refused_naming_pid_32_or_pid_3(sender):
    ack = send(a28("MSG-3", reliability="RECUP"))
    assert ack_code(ack) == "AE"
    assert {err[2] for err in errors_of(ack)} & {"PID^1^3", "PID^1^32"}
    assert not Patient.objects.exists()


def test_a31_updates_the_identity_known_by_its_ipp(sender):
    send(a28("MSG-10"))
    ack = send(message(msh("A31", "MSG-11"), "EVN|A31", pid([ipp("IPP1001")], used_name="DURAND", used_given="Lou")))
    assert ack_code(ack) == "AA", ack
    patient = only_patient()
    assert (patient.used_name, patient.used_first_name) == ("DURAND", "Lou")
    assert IdentityHistory.objects.filter(patient=patient, action="update", channel="hl7").exists()
    assert InboundMessage.objects.get(control_id="MSG-11").outcome == "updated"


def test_a31_for_an_unknown_ipp_creates_the_identity(sender):
    ack = send(message(msh("A31", "MSG-12"), "EVN|A31", pid([ipp("IPP-NEW")])))
    assert ack_code(ack) == "AA"
    assert selectors.find_by_local_id(AUTHORITY_OID, "IPP-NEW") is not None


def test_a40_merges_the_identity_of_the_old_ipp_into_the_survivor(sender):
    send(a28("MSG-20", "IPP-A"))
    send(a28("MSG-21", "IPP-B", birth_name="LEGRAND", given="Paul", further="Paul", sex="M", birth_date="19700101"))
    survivor = selectors.find_by_local_id(AUTHORITY_OID, "IPP-A")
    ack = send(message(msh("A40", "MSG-22"), "EVN|A40", pid([ipp("IPP-A")]), f"MRG|{ipp('IPP-B')}"))
    assert ack_code(ack) == "AA", ack
    assert selectors.find_by_local_id(AUTHORITY_OID, "IPP-B").pk == survivor.pk
    assert Patient.objects.get(birth_name="LEGRAND").merged_into_id == survivor.pk
    assert sorted(value for _a, value in selectors.local_ids_of(survivor)) == ["IPP-A", "IPP-B"]


def test_a40_with_an_unknown_prior_ipp_is_an_error_naming_mrg_1(sender):
    send(a28("MSG-23", "IPP-A"))
    ack = send(message(msh("A40", "MSG-24"), "EVN|A40", pid([ipp("IPP-A")]), f"MRG|{ipp('IPP-ZZZ')}"))
    assert ack_code(ack) == "AE"
    (err,) = errors_of(ack)
    assert err[2] == "MRG^1^1^1" and err[3].startswith("204^") and "MRG-1" in err[8]


def test_a47_changes_the_ipp(sender):
    send(a28("MSG-30", "IPP-OLD"))
    patient = only_patient()
    ack = send(message(msh("A47", "MSG-31"), "EVN|A47", pid([ipp("IPP-NEW")]), f"MRG|{ipp('IPP-OLD')}"))
    assert ack_code(ack) == "AA", ack
    assert selectors.local_ids_of(patient) == [(AUTHORITY_OID, "IPP-NEW")]
    assert selectors.find_by_local_id(AUTHORITY_OID, "IPP-OLD") is None


def test_a47_to_an_identifier_already_taken_is_refused(sender):
    send(a28("MSG-32", "IPP-1"))
    send(a28("MSG-33", "IPP-2", birth_name="LEGRAND", given="Paul", further="Paul", sex="M"))
    ack = send(message(msh("A47", "MSG-34"), "EVN|A47", pid([ipp("IPP-2")]), f"MRG|{ipp('IPP-1')}"))
    assert ack_code(ack) == "AE" and errors_of(ack)[0][3].startswith("205^")


def test_missing_pid_is_an_error_naming_the_segment_and_stores_nothing(sender):
    ack = send(message(msh("A28", "MSG-40"), "EVN|A28|20260301"))
    assert ack_code(ack) == "AE"
    (err,) = errors_of(ack)
    assert err[2] == "PID^1" and err[3].startswith("100^") and err[4] == "E" and "PID" in err[8]
    assert not Patient.objects.exists() and not LocalIdentifier.objects.exists()
    journalled = InboundMessage.objects.get()
    assert journalled.ack_code == "AE" and journalled.errors[0]["location"] == "PID"


def test_bad_nir_key_is_an_error_naming_pid_3_and_stores_nothing(sender):
    ack = send(a28("MSG-41", identifiers=[ipp("IPP9"), ins(NIR_BAD_KEY)], reliability="QUAL"))
    assert ack_code(ack) == "AE", ack
    errs = errors_of(ack)
    assert any(err[2] == "PID^1^3^2" and "PID-3" in err[8] for err in errs), errs
    assert not Patient.objects.exists() and not LocalIdentifier.objects.exists()
    assert not AccessEvent.objects.filter(channel="hl7").exists()


@pytest.mark.parametrize(
    ("traits", "location", "code"),
    [
        ({"birth_date": "19800231"}, "PID^1^7", "102"),
        ({"birth_date": "21000101"}, "PID^1^7", "102"),
        ({"birth_date": "1980AB01"}, "PID^1^7", "102"),
        ({"birth_place": "99999"}, "PID^1^11^1^9", "103"),
        ({"sex": "X"}, "PID^1^8", "103"),
        ({"birth_name": ""}, "PID^1^5^1^1", "101"),
    ],
)
def test_business_errors_name_the_trait(sender, traits, location, code):
    ack = send(a28("MSG-50", **traits))
    assert ack_code(ack) == "AE", ack
    assert any(err[2] == location and err[3].startswith(code + "^") for err in errors_of(ack)), errors_of(ack)
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("payload", "location", "code"),
    [
        (b"this is not HL7", "MSH^1", "100"),
        (b"", "MSH^1", "100"),
        (message(msh("A01", "M1")), "MSH^1^9^1^2", "201"),
        (message(msh("A28", "M2", message_type="ORU")), "MSH^1^9^1^1", "200"),
        (message(msh("A28", "M3", version="2.3")), "MSH^1^12", "203"),
        (message(msh("A28", "")), "MSH^1^10", "101"),
        (message(msh("A28", "M4", facility="INCONNU")), "MSH^1^4", "103"),
        (message(msh("A28", "M5", charset="KLINGON")), "MSH^1^18", "103"),
        (message(msh("A28", "M6"), "pid|bad segment"), "pid^1", "100"),
        (message(msh("A28", "M7"), msh("A28", "M8")), "MSH^1", "100"),
    ],
)
def test_rejected_messages_get_ar_and_are_kept(sender, payload, location, code):
    ack = send(payload)
    assert ack_code(ack) == "AR", ack
    (err,) = errors_of(ack)
    assert err[2] == location and err[3].startswith(code + "^") and err[8], err
    assert not Patient.objects.exists()
    kept = InboundMessage.objects.get()
    assert kept.ack_code == "AR" and kept.raw == payload.decode() and kept.errors[0]["code"] == code


def test_oversized_message_is_rejected_and_answered_to_its_sender(sender):
    ack = send(a28("MSG-60")[:200], problem="too_large")
    assert ack_code(ack) == "AR" and segments_of(ack)["MSA"][0][2] == "MSG-60"
    assert InboundMessage.objects.get().truncated


def test_replay_of_the_same_message_gets_the_same_ack_without_reprocessing(sender):
    first = send(a28("MSG-70"))
    history = IdentityHistory.objects.count()
    again = send(a28("MSG-70"))
    assert again == first
    assert Patient.objects.count() == 1 and IdentityHistory.objects.count() == history
    assert InboundMessage.objects.count() == 1


def test_replay_of_a_rejected_message_gets_the_same_rejection(sender):
    first = send(a28("MSG-71", birth_date="19800231"))
    assert ack_code(first) == "AE"
    assert send(a28("MSG-71", birth_date="19800231")) == first
    assert InboundMessage.objects.count() == 1


def test_same_control_id_with_another_content_is_rejected_and_kept(sender):
    send(a28("MSG-72"))
    ack = send(a28("MSG-72", birth_name="AUTRE"))
    assert ack_code(ack) == "AR" and errors_of(ack)[0][3].startswith("205^")
    assert only_patient().birth_name == "MARTIN"
    assert InboundMessage.objects.count() == 2


def test_latin1_message_keeps_accents_and_the_ack_uses_the_same_charset(sender):
    text = "\r".join([msh("A28", "MSG-80", charset="8859/1"), "EVN|A28", pid([ipp("IPP80")], birth_name="LEFÈVRE", given="Hélène", further="Hélène")]) + "\r"
    ack = send(text.encode("latin-1"))
    assert ack.decode("latin-1").split("\r")[1].split("|")[1] == "AA"
    patient = only_patient()
    assert (patient.birth_name, patient.birth_first_names) == ("LEFÈVRE", "Hélène")


def test_identifiers_of_another_authority_are_ignored_with_a_warning(sender):
    ack = send(a28("MSG-90", identifiers=[ipp("IPP90"), "555^^^AUTRE_HOP&1.2.3.4&ISO^PI"]))
    assert ack_code(ack) == "AA"
    (warning,) = errors_of(ack)
    assert warning[4] == "W" and warning[2] == "PID^1^3^2"
    assert LocalIdentifier.objects.count() == 1


def test_pid_without_own_ipp_is_an_error(sender):
    ack = send(a28("MSG-91", identifiers=["555^^^AUTRE_HOP&1.2.3.4&ISO^PI"]))
    assert ack_code(ack) == "AE" and any(err[2] == "PID^1^3" and err[3].startswith("101^") for err in errors_of(ack))


def test_error_text_is_escaped_in_the_ack(sender):
    ack = send(message(msh("A28", "M|X".replace("|", "\\F\\")), "EVN|A28"))
    assert ack_code(ack) == "AE"
    assert segments_of(ack)["MSA"][0][2] == "M\\F\\X"


def test_birth_first_names_from_xpn_2_and_3():
    assert birth_first_names("Louise", "Anne Marie") == ["Louise", "Anne", "Marie"]
    assert birth_first_names("Louise", "Louise Anne Marie") == ["Louise", "Anne", "Marie"]
    assert birth_first_names("Anne-Laure", "") == ["Anne-Laure"]
    assert birth_first_names("", "") == []
