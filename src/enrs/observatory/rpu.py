"""Protocol adapter for the national RPU file (``OSCOUR`` envelope, format "RPU 2006").

Reads a file as a stream (``lxml.etree.iterparse``): the header of
``<ETABLISSEMENT>`` then one ``<PATIENT>`` element per passage, each cleared as
soon as it is read so memory stays flat whatever the file size. Values are
normalised here (stripped, codes upper-cased, CIM-10 codes without dots);
unknown tags are tolerated and counted. What the values *mean* (validity and
coherence rules) is decided by :mod:`enrs.observatory.checks`.

File-level problems (wrong or undeclared encoding, malformed XML, truncated
file, missing envelope) raise :class:`RpuFileError` with a code and a French
message: the whole file is then refused, nothing is stored (a half-read file
could silently erase days it was supposed to replace).

Formats (docs/services/observatory.md, /work/shared/reference/rpu-oru-telehealth.md §1):
``JJ/MM/AAAA`` dates, ``JJ/MM/AAAA hh:mm`` with optional ``:ss`` datetimes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext as _
from lxml import etree

ROOT_TAG = "OSCOUR"
HEADER_TAGS = ("FINESS", "ORDRE", "EXTRACT", "DATEDEBUT", "DATEFIN")
# The 18 items of the arrêté of 24 July 2013 (art. 3), as tags; DA and ACTE repeat.
SCALAR_FIELDS = (
    "CP", "COMMUNE", "NAISSANCE", "SEXE", "ENTREE", "MODE_ENTREE", "PROVENANCE", "TRANSPORT",
    "TRANSPORT_PEC", "MOTIF", "GRAVITE", "DP", "SORTIE", "MODE_SORTIE", "DESTINATION", "ORIENT",
)
LIST_FIELDS = {"LISTE_DA": "DA", "LISTE_ACTES": "ACTE"}
FIELDS = (*SCALAR_FIELDS, "DA", "ACTE")
# Values kept verbatim apart from stripping; every other scalar is a code and is upper-cased.
FREE_TEXT = frozenset({"COMMUNE", "NAISSANCE", "ENTREE", "SORTIE"})
CIM10_FIELDS = frozenset({"DP", "DA"})
ACCEPTED_ENCODINGS = frozenset({"utf-8", "utf8", "iso-8859-1", "iso8859-1", "latin-1", "latin1", "iso_8859-1"})

_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_DATETIME = re.compile(r"(\d{2})/(\d{2})/(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?")


class RpuFileError(Exception):
    """The whole file is unreadable: refused with ``code`` and a French ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Header:
    finess: str = ""
    ordre: str = ""
    extract: str = ""
    first_day: str = ""
    last_day: str = ""


@dataclass
class ParsedFile:
    """What the stream yielded: the header and the raw (normalised) records, in file order."""

    header: Header
    records: list[dict]
    unknown_tags: set[str] = field(default_factory=set)
    encoding: str = "utf-8"


# --- Values -----------------------------------------------------------------------------------
def normalise_cim10(value: str) -> str:
    """``a09.9`` → ``A099``: upper case, no dot, no space (both spellings exist in real files)."""
    return value.replace(".", "").replace(" ", "").upper()


def parse_date(value: str) -> dt.date | None:
    """``JJ/MM/AAAA`` → date, or None when the text is not a real calendar date."""
    if len(value) != 10 or value[2] != "/" or value[5] != "/" or not _DATE.fullmatch(value):
        return None
    try:
        return dt.date(int(value[6:10]), int(value[3:5]), int(value[0:2]))
    except ValueError:
        return None


def parse_datetime(value: str) -> dt.datetime | None:
    """``JJ/MM/AAAA hh:mm[:ss]`` → naive local (Europe/Paris wall-clock) datetime, or None."""
    size = len(value)
    if size not in (16, 19) or not _DATETIME.fullmatch(value):
        return None
    try:
        return dt.datetime(int(value[6:10]), int(value[3:5]), int(value[0:2]), int(value[11:13]), int(value[14:16]),
                           int(value[17:19]) if size == 19 else 0)
    except ValueError:
        return None


# --- Encoding -----------------------------------------------------------------------------------
def declared_encoding(head: bytes) -> str | None:
    """The encoding named in the XML declaration, lower-cased, or None when not declared."""
    match = _DECLARATION.match(head.lstrip(b"\xef\xbb\xbf"))
    return match.group(1).decode("ascii").lower() if match else None


def check_encoding(head: bytes) -> str:
    """Refuse encodings other than UTF-8 and declared ISO-8859-1 (undeclared means UTF-8)."""
    declared = declared_encoding(head)
    if declared is None:
        return "utf-8"
    if declared not in ACCEPTED_ENCODINGS:
        raise RpuFileError(
            "encodage",
            _("Encodage « %(encoding)s » non accepté : le fichier doit être en UTF-8 ou déclarer ISO-8859-1.")
            % {"encoding": declared},
        )
    return declared


# --- Stream ---------------------------------------------------------------------------------------
def _text(element) -> str:
    return (element.text or "").strip()


_TEXT, _CODE, _CIM10, _LIST = 0, 1, 2, 3
_KIND = {tag: (_TEXT if tag in FREE_TEXT else _CIM10 if tag in CIM10_FIELDS else _CODE) for tag in SCALAR_FIELDS}
_KIND.update({tag: _LIST for tag in LIST_FIELDS})


_INDEX = {tag: index for index, tag in enumerate(SCALAR_FIELDS)}
DA_INDEX, ACTE_INDEX = len(SCALAR_FIELDS), len(SCALAR_FIELDS) + 1
_LIST_INDEX = {"LISTE_DA": DA_INDEX, "LISTE_ACTES": ACTE_INDEX}
_EMPTY_ROW = (None,) * len(SCALAR_FIELDS)


def _read_patient_row(element, unknown: set[str]) -> list:
    """The children of one <PATIENT> as a list in ``FIELDS`` order: normalised non-empty values or None
    for the scalars, then the DA and ACTE lists (hot path: kept flat)."""
    row = [*_EMPTY_ROW, [], []]
    for child in element:
        tag = child.tag
        kind = _KIND.get(tag)
        if kind is None:
            if not isinstance(tag, str):  # comments, processing instructions
                continue
            tag = tag.upper()
            kind = _KIND.get(tag)
            if kind is None:
                unknown.add(tag)
                continue
        if kind == _LIST:
            is_da = tag == "LISTE_DA"
            items = row[_LIST_INDEX[tag]]
            for item in child:
                value = (item.text or "").strip() if isinstance(item.tag, str) else ""
                if value:
                    items.append(normalise_cim10(value) if is_da else value.upper())
            continue
        text = child.text
        if text is None:
            continue
        text = text.strip()
        if not text:
            continue
        if kind == _CODE:
            text = text.upper()
        elif kind == _CIM10:
            text = normalise_cim10(text)
        row[_INDEX[tag]] = text
    return row


def record_from_row(row) -> dict:
    """The record as a dict of the present values (what the per-record checker and the quarantine read)."""
    record = {name: value for name, value in zip(SCALAR_FIELDS, row) if value is not None}
    record["DA"], record["ACTE"] = row[DA_INDEX], row[ACTE_INDEX]
    return record


def _read_patient(element, unknown: set[str]) -> dict:
    return record_from_row(_read_patient_row(element, unknown))


def _file_error_from_syntax(exc: etree.XMLSyntaxError, at_end: bool) -> RpuFileError:
    reason = str(exc)
    line = exc.position[0] if exc.position else "?"
    if "encoding" in reason.lower() or "utf-8" in reason.lower() or "bytes" in reason.lower():
        return RpuFileError(
            "encodage",
            _("Le fichier n'est pas dans l'encodage déclaré (UTF-8 par défaut), ligne %(line)s.") % {"line": line},
        )
    if at_end:
        return RpuFileError(
            "fichier_tronque", _("Fichier tronqué : il s'arrête avant la fin du document XML (ligne %(line)s).") % {"line": line}
        )
    return RpuFileError("xml_malforme", _("XML malformé ligne %(line)s : %(reason)s") % {"line": line, "reason": reason})


class _EndAware:
    """A binary reader that remembers whether the parser reached the end of the data."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.at_end = False

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        if not chunk:
            self.at_end = True
        return chunk


def _check_root(root) -> None:
    tag = root.tag.upper() if root is not None and isinstance(root.tag, str) else ""
    if tag != ROOT_TAG:
        raise RpuFileError(
            "enveloppe", _("Enveloppe inattendue <%(tag)s> : un fichier RPU commence par <OSCOUR>.") % {"tag": tag}
        )


def _read_header(element) -> Header:
    header = Header()
    for child in element:
        tag = child.tag.upper() if isinstance(child.tag, str) else ""
        if tag in _HEADER_ATTR:
            setattr(header, _HEADER_ATTR[tag], _text(child))
    return header


def iter_elements(stream: BinaryIO) -> Iterator[tuple[str, object]]:
    """Yield ("header", Header) once, then ("patient", element) for each passage.

    lxml filters the tags in C (``tag=``), so Python only sees the elements it needs.
    """
    reader = _EndAware(stream)
    header_sent = False
    root_checked = False
    context = etree.iterparse(
        reader, events=("end",), tag=("ETABLISSEMENT", "PATIENT"), resolve_entities=False, no_network=True
    )
    try:
        for _event, element in context:
            if not root_checked:
                root_checked = True
                _check_root(element.getroottree().getroot())
            if element.tag == "ETABLISSEMENT":
                if not header_sent:
                    header_sent = True
                    yield "header", _read_header(element)
                continue
            if not header_sent:
                header_sent = True
                yield "header", Header()
            yield "patient", element
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
        if not root_checked:
            _check_root(context.root)
    except etree.XMLSyntaxError as exc:
        raise _file_error_from_syntax(exc, reader.at_end) from exc
    if not header_sent:
        yield "header", Header()


_HEADER_ATTR = {"FINESS": "finess", "ORDRE": "ordre", "EXTRACT": "extract", "DATEDEBUT": "first_day", "DATEFIN": "last_day"}


def read_stream(stream: BinaryIO, *, rows: bool = False) -> Iterator[tuple[str, object]]:
    """Like :func:`iter_elements` but yields ("patient", normalised dict, or list in ``FIELDS`` order
    when ``rows``) and finally ("unknown", set)."""
    head = stream.read(256)
    if not head.strip():
        raise RpuFileError("fichier_vide", _("Le fichier est vide."))
    encoding = check_encoding(head)
    yield "encoding", encoding
    unknown: set[str] = set()
    for kind, item in iter_elements(_Prepended(head, stream)):
        yield kind, ((_read_patient_row if rows else _read_patient)(item, unknown) if kind == "patient" else item)
    yield "unknown", unknown


class _Prepended:
    """Give back the bytes already read to sniff the declaration."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head = head
        self.rest = rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            chunk, self.head = self.head, b""
            return chunk
        return self.rest.read(size)


def parse_file(path: str | Path) -> ParsedFile:
    """Read the whole file (streamed) into a :class:`ParsedFile`; raises :class:`RpuFileError`."""
    with open(path, "rb") as stream:
        return parse_stream(stream)


def parse_stream(stream: BinaryIO) -> ParsedFile:
    parsed = ParsedFile(header=Header(), records=[])
    for kind, item in read_stream(stream):
        if kind == "encoding":
            parsed.encoding = item
        elif kind == "header":
            parsed.header = item
        elif kind == "patient":
            parsed.records.append(item)
        else:
            parsed.unknown_tags = item
    if not parsed.header.finess:
        raise RpuFileError("finess_absent", _("Le FINESS de l'établissement (<ETABLISSEMENT><FINESS>) est absent."))
    return parsed


def bare_iterparse_count(path: str | Path) -> int:
    """The parsing floor for the benchmark: a bare iterparse pass counting <PATIENT> elements."""
    count = 0
    for _event, element in etree.iterparse(str(path), events=("end",), tag="PATIENT"):
        count += 1
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count
