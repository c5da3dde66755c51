"""Uploads are judged by their bytes: real formats pass, disguised or damaged files do not."""

from __future__ import annotations

import hashlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfWriter

from enrs.core.uploads import CDA, JPEG, PDF, PNG, TEXT, UploadRejected, check_upload

CDA_DOCUMENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Lettre de liaison</title></ClinicalDocument>"""


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 16), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "media_type", "extension"),
    [
        (pdf_bytes(), PDF, "pdf"),
        (image_bytes("PNG"), PNG, "png"),
        (image_bytes("JPEG"), JPEG, "jpg"),
        (CDA_DOCUMENT, CDA, "xml"),
        ("Compte rendu : patiente revue à J+10.\n".encode(), TEXT, "txt"),
    ],
)
def test_real_files_are_recognised_by_content(data, media_type, extension):
    checked = check_upload(data, filename="fichier.bin")
    assert (checked.media_type, checked.extension, checked.size) == (media_type, extension, len(data))
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


def test_the_extension_is_irrelevant_a_png_named_pdf_is_a_png():
    assert check_upload(image_bytes("PNG"), filename="lettre.pdf").media_type == PNG


def test_a_disguised_executable_is_refused():
    with pytest.raises(UploadRejected, match="n'est pas d'un type accepté") as error:
        check_upload(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)), filename="lettre.pdf")
    assert error.value.code == "wrong_type"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pdf_bytes()[:60], "PDF endommagé"),
        (b"%PDF-1.7\nnot really a pdf\n%%EOF", "PDF endommagé"),
        (image_bytes("PNG")[:40], "image endommagée"),
        (image_bytes("JPEG")[:120], "image endommagée"),
        (b"<?xml version='1.0'?><ClinicalDocument xmlns='urn:hl7-org:v3'><title>", "XML bien formé"),
        (b"<?xml version='1.0'?><html><body/></html>", "ClinicalDocument attendu"),
    ],
)
def test_corrupt_files_are_refused_with_a_french_reason(data, message):
    with pytest.raises(UploadRejected, match=message):
        check_upload(data, filename="piece-jointe")


def test_xml_entities_are_not_expanded():
    billion_laughs = b"""<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&b;</title></ClinicalDocument>"""
    # Parsed without resolving entities: accepted as a CDA, nothing expanded, nothing fetched.
    assert check_upload(billion_laughs, filename="cda.xml").media_type == CDA


def test_size_limit_and_empty_file():
    with pytest.raises(UploadRejected, match="dépasse la taille maximale") as error:
        check_upload(b"x" * 11, filename="notes.txt", max_bytes=10)
    assert error.value.code == "too_large"
    with pytest.raises(UploadRejected, match="est vide"):
        check_upload(b"", filename="notes.txt")


def test_default_limit_comes_from_settings(settings):
    settings.ENRS_UPLOAD_MAX_BYTES = 4
    with pytest.raises(UploadRejected, match="notes.txt dépasse"):
        check_upload(b"12345", filename="notes.txt")


def test_allowed_types_narrow_the_choice():
    with pytest.raises(UploadRejected, match="PDF"):
        check_upload(b"texte simple", filename="notes.txt", allowed={PDF})


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=2048))
def test_arbitrary_bytes_are_accepted_or_refused_cleanly(data):
    try:
        checked = check_upload(data, filename="x")
    except UploadRejected as error:
        assert error.message
    else:
        assert checked.size == len(data)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["pdf", "PNG", "JPEG", "cda"]), st.data())
def test_every_truncation_or_bit_flip_of_a_real_file_is_handled_cleanly(kind, data):
    original = {"pdf": pdf_bytes, "cda": lambda: CDA_DOCUMENT}.get(kind, lambda: image_bytes(kind))()
    cut = data.draw(st.integers(min_value=1, max_value=len(original)))
    damaged = bytearray(original[:cut])
    flip = data.draw(st.integers(min_value=0, max_value=len(damaged) - 1))
    damaged[flip] ^= data.draw(st.integers(min_value=0, max_value=255))
    try:
        check_upload(bytes(damaged), filename="x")
    except UploadRejected as error:
        assert error.message
