"""Shared machinery of the directory importers.

An importer reads one file line by line and turns each line into calls to the
directory services. This module does everything that is not specific to a
file layout:

* reading the stored copy (plain text or the matching member of a zip
  archive), detecting its encoding and counting its lines first, so that the
  progress total is known and an undecodable file is refused before anything
  is written;
* running every data write inside one ``transaction.atomic()``: a structural
  failure (encoding, header, truncated file, unexpected exception) rolls the
  whole run back, so a file is never half-imported;
* batches of lines (``batch_size``) staged with ``services.bulk_upserts()``:
  the rows a batch looks for are loaded in a few queries (``prefetch``), each
  line is validated and compared in memory inside an in-memory savepoint (a
  rejected line leaves nothing behind while the valid lines are kept), and the
  batch is stored with bulk inserts and updates inside a database savepoint.
  Should that store fail (a row changed meanwhile, a value the database refuses),
  the batch is rolled back and replayed line by line with the one-row upserts,
  one database savepoint per line, which names the line at fault;
* counting lines as created / updated / unchanged / rejected / ignored and
  reporting progress (see ``progress.py``) while the transaction is open;
* spooling rejected lines to a temporary file and storing them as
  ``ImportRejection`` rows once the transaction is over, whatever its outcome.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any, ClassVar, Literal

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.directory import services
from enrs.directory.models import ImportRejection, ImportRun

logger = logging.getLogger(__name__)

Status = Literal["created", "updated", "unchanged"]
ProgressCallback = Callable[[dict[str, int]], None]
_STATUS_RANK = {"unchanged": 0, "updated": 1, "created": 2}
REJECTION_BATCH = 1000
HEADER_MAX_BYTES = 64 * 1024


class FileRejected(Exception):
    """The whole file is refused; the message (French) says why. Nothing is stored."""


class LineRejected(Exception):
    """One line is refused; the other lines of the file are still imported.

    ``incomplete`` marks a line whose shape is wrong (column count): when it is
    the unterminated last line of the file, the file itself was cut short.
    """

    def __init__(self, reason: str, field: str = "", *, incomplete: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.incomplete = incomplete


def combine(*statuses: Status) -> Status:
    """Status of a line that touched several records: the strongest change wins."""
    return max(statuses, key=_STATUS_RANK.__getitem__, default="unchanged")


def keep_coordinates(data: dict[str, Any], existing) -> dict[str, Any]:
    """Carry over the coordinates an organisation already has.

    ``upsert_organisation`` treats absent coordinates as "none"; a line that
    does not carry them (FINESS ``structureet``, Annuaire site) must neither
    clear them nor count as a change when the file is imported again.
    """
    if existing is not None and "latitude" not in data and "longitude" not in data:
        return {**data, "latitude": existing.latitude, "longitude": existing.longitude}
    return data


@dataclass
class Counters:
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    ignored: int = 0

    def count(self, status: Status | None) -> None:
        self.processed += 1
        if status is None:
            self.ignored += 1
        else:
            setattr(self, status, getattr(self, status) + 1)

    def count_rejected(self) -> None:
        self.processed += 1
        self.rejected += 1

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def restore(self, saved: Counters) -> None:
        for name, value in asdict(saved).items():
            setattr(self, name, value)


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    # The last line of a file that does not end with a newline: if its shape is
    # wrong, the file was cut short rather than the line being malformed.
    last_unterminated: bool


@dataclass(frozen=True)
class SourceInfo:
    encoding: str
    data_lines: int
    ends_with_newline: bool


# --- Reading the stored copy ------------------------------------------------------------
@contextmanager
def open_binary(path: Path, member: re.Pattern[str]) -> Iterator[IO[bytes]]:
    """Open the file, or the member of a zip archive whose name matches ``member``."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [name for name in archive.namelist() if member.search(Path(name).name)]
                if not names:
                    raise FileRejected(
                        _("L'archive zip ne contient aucun fichier attendu (%(pattern)s).")
                        % {"pattern": member.pattern}
                    )
                with archive.open(sorted(names)[-1]) as stream:
                    yield stream
        else:
            with open(path, "rb") as stream:
                yield stream
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise FileRejected(_("Le fichier est illisible ou tronqué (%(error)s).") % {"error": exc}) from exc


def check_header(importer: type[Importer], stream: IO[bytes]) -> None:
    """Check the first line of an uploaded file before accepting it; raise FileRejected.

    Lets the upload form refuse a wrong or unreadable file at once, in French,
    instead of creating a run that can only fail.
    """
    stream.seek(0)
    if stream.read(4) == b"PK\x03\x04":
        stream.seek(0)
        try:
            with zipfile.ZipFile(stream) as archive:
                names = [name for name in archive.namelist() if importer.zip_member.search(Path(name).name)]
                if not names:
                    raise FileRejected(
                        _("L'archive zip ne contient aucun fichier attendu (%(pattern)s).")
                        % {"pattern": importer.zip_member.pattern}
                    )
                with archive.open(sorted(names)[-1]) as member:
                    first = member.readline(HEADER_MAX_BYTES)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise FileRejected(_("L'archive zip est illisible ou tronquée.")) from exc
    else:
        stream.seek(0)
        first = stream.readline(HEADER_MAX_BYTES)
    stream.seek(0)
    if not first.strip():
        raise FileRejected(_("Le fichier est vide : la ligne d'en-tête est absente."))
    for encoding in importer.encodings:
        try:
            header = decode_line(first, encoding, first=True)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRejected(
            _("La ligne d'en-tête n'est pas lisible en %(encoding)s : enregistrez le fichier en UTF-8 et recommencez.")
            % {"encoding": importer.encodings[0].upper()}
        )
    importer(run=None).read_header(header)


def decode_line(raw: bytes, encoding: str, *, first: bool = False) -> str:
    text = raw.decode(encoding)
    if first and text.startswith("\ufeff"):
        text = text[1:]
    return text.rstrip("\r\n")


def inspect_source(path: Path, member: re.Pattern[str], encodings: tuple[str, ...]) -> SourceInfo:
    """Count the lines and find the first encoding that decodes the whole file.

    Runs before any write, so that a file in a broken encoding is refused with
    the number of its first undecodable line and nothing is stored.
    """
    candidates = list(encodings)
    encoding = candidates.pop(0)
    lines = 0
    last = b""
    with open_binary(path, member) as stream:
        for raw in stream:
            lines += 1
            last = raw
            while True:
                try:
                    raw.decode(encoding)
                    break
                except UnicodeDecodeError as exc:
                    if not candidates:
                        raise FileRejected(
                            _(
                                "Le fichier n'est pas lisible en %(encoding)s : octet invalide à la ligne "
                                "%(line)d, colonne %(column)d. Enregistrez-le en UTF-8 et recommencez."
                            )
                            % {"encoding": encoding.upper(), "line": lines, "column": exc.start + 1}
                        ) from exc
                    encoding = candidates.pop(0)
    if lines == 0:
        raise FileRejected(_("Le fichier est vide : la ligne d'en-tête est absente."))
    return SourceInfo(encoding=encoding, data_lines=lines - 1, ends_with_newline=last.endswith(b"\n"))


# --- Rejected lines ----------------------------------------------------------------------
class RejectionSpool:
    """Rejected lines kept on disk during the run, stored once the transaction is over.

    They must survive a rollback (a failed run still shows what was rejected
    before the failure) and must not fill the memory on a large bad file.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8")

    def add(self, line_number: int, field: str, reason: str, raw_line: str) -> None:
        self._file.write(json.dumps([line_number, field[:80], reason, raw_line], ensure_ascii=False) + "\n")

    def mark(self) -> int:
        """Position to come back to with ``rewind`` (the batch about to be processed)."""
        return self._file.tell()

    def rewind(self, mark: int) -> None:
        """Forget the lines added since ``mark`` (their batch is processed again)."""
        self._file.seek(mark)
        self._file.truncate()

    def save(self, run: ImportRun) -> None:
        self._file.seek(0)
        batch: list[ImportRejection] = []
        for entry in self._file:
            line_number, field, reason, raw_line = json.loads(entry)
            batch.append(ImportRejection(run=run, line_number=line_number, field=field, reason=reason, raw_line=raw_line))
            if len(batch) >= REJECTION_BATCH:
                ImportRejection.objects.bulk_create(batch)
                batch = []
        ImportRejection.objects.bulk_create(batch)
        self._file.close()


# --- The importer base class ---------------------------------------------------------------
class Importer(ABC):
    """One file layout. Subclasses implement ``read_header`` and ``import_line``."""

    kind: ClassVar[str]
    encodings: ClassVar[tuple[str, ...]] = ("utf-8",)
    zip_member: ClassVar[re.Pattern[str]]
    # Service field name -> column name of the source file, to name the field in rejections.
    field_labels: ClassVar[dict[str, str]] = {}
    batch_size: ClassVar[int] = 500

    def __init__(self, run: ImportRun | None, report: Callable[[Counters], None] | None = None):
        self.run = run
        self.counters = Counters()
        self._report = report or (lambda counters: None)
        # Objects already written by this run, so that a record met on several lines is
        # written once (first occurrence wins) and re-importing the file changes nothing:
        # the current line's, the current batch's (possibly not stored yet, without pk)
        # and the primary keys of the stored ones.
        self._memo: dict[Any, int] = {}
        self._batch_memo: dict[Any, models.Model] = {}
        self._pending_memo: dict[Any, models.Model] = {}

    # Subclass hooks ------------------------------------------------------------
    @abstractmethod
    def read_header(self, line: str) -> None:
        """Check the header line and remember the column positions (FileRejected when wrong)."""

    @abstractmethod
    def import_line(self, line: str) -> Status | None:
        """Import one data line; return its status, or None when the line carries no data."""

    def prefetch(self, staged: services.BulkUpserts, lines: list[str]) -> None:
        """Load at once the rows the batch's ``lines`` will look for (``staged.prefetch``).

        Only an optimisation: a row not prefetched is loaded when first needed.
        """

    # Memo of records written by this run ----------------------------------------
    # Once a batch is stored only primary keys are kept (a national file has about a
    # million professionals), and the records are handed back as pk-only instances,
    # enough for foreign keys; within a batch, the staged objects themselves.
    def recall(self, key: Any, model: type[models.Model]) -> Any:
        for memo in (self._pending_memo, self._batch_memo):
            if (obj := memo.get(key)) is not None:
                return obj
        pk = self._memo.get(key)
        # from_db rather than model(pk=pk): far cheaper, and the other fields are
        # deferred (loaded if ever read) instead of silently holding defaults.
        return None if pk is None else model.from_db(None, [model._meta.pk.attname], [pk])

    def remember(self, key: Any, obj: models.Model) -> None:
        # Kept aside until the line's savepoint is released: a rejected line's
        # records are rolled back and must not be reused by later lines.
        self._pending_memo[key] = obj

    # Processing ----------------------------------------------------------------
    def process(self, path: Path, info: SourceInfo, rejections: RejectionSpool) -> None:
        with open_binary(path, self.zip_member) as stream:
            lines = iter(stream)
            try:
                header = decode_line(next(lines), info.encoding, first=True)
            except StopIteration:  # pragma: no cover - inspect_source refused empty files
                raise FileRejected(_("Le fichier est vide : la ligne d'en-tête est absente.")) from None
            self.read_header(header)
            last_line_number = info.data_lines + 1
            batch: list[Line] = []
            for line_number, raw in enumerate(lines, start=2):
                last_unterminated = line_number == last_line_number and not info.ends_with_newline
                batch.append(Line(line_number, decode_line(raw, info.encoding), last_unterminated))
                if len(batch) == self.batch_size:
                    self._process_batch(batch, rejections)
                    batch = []
                    self._report(self.counters)
            self._process_batch(batch, rejections)
        self._report(self.counters)

    def _process_batch(self, batch: list[Line], rejections: RejectionSpool) -> None:
        if not batch:
            return
        counters, mark = replace(self.counters), rejections.mark()
        try:
            with transaction.atomic(), services.bulk_upserts() as staged:
                self.prefetch(staged, [line.text for line in batch])
                for line in batch:
                    self._process_line(line, rejections, staged)
        except (IntegrityError, DataError, services.BulkConflict):
            # Nothing of the batch was stored: process it again, one row and one savepoint at a time.
            logger.info("import %s: batch from line %s replayed line by line", self.run.pk, batch[0].number, exc_info=True)
            self.counters.restore(counters)
            rejections.rewind(mark)
            self._batch_memo.clear()
            self._pending_memo.clear()
            for line in batch:
                self._process_line(line, rejections, None)
        self._memo.update((key, obj.pk) for key, obj in self._batch_memo.items())
        self._batch_memo.clear()

    def _process_line(self, line: Line, rejections: RejectionSpool, staged: services.BulkUpserts | None) -> None:
        """Import one line, staged in ``staged`` or, without it, written at once in its own savepoint."""
        text, line_number = line.text, line.number
        if not text.strip():
            self.counters.count(None)
            return
        try:
            with staged.savepoint() if staged is not None else transaction.atomic():
                status = self.import_line(text)
        except LineRejected as exc:
            if exc.incomplete and line.last_unterminated:
                raise FileRejected(
                    _("Le fichier semble tronqué : sa dernière ligne (%(line)d) est incomplète. %(reason)s")
                    % {"line": line_number, "reason": exc.reason}
                ) from exc
            self._reject(rejections, line_number, exc.field, exc.reason, text)
        except ValidationError as exc:
            field, reason = self.describe_validation_error(exc)
            self._reject(rejections, line_number, field, reason, text)
        except IntegrityError:
            if staged is not None:
                raise  # the batch is replayed line by line, which tells which line it is
            logger.info("import %s line %s: integrity conflict", self.run.pk, line_number, exc_info=True)
            self._reject(
                rejections, line_number, "",
                _("Cette ligne contredit une donnée déjà enregistrée (identifiant déjà attribué à un autre enregistrement)."),
                text,
            )
        except DataError:
            if staged is not None:
                raise
            logger.info("import %s line %s: data error", self.run.pk, line_number, exc_info=True)
            self._reject(
                rejections, line_number, "",
                _("Une valeur de cette ligne dépasse la longueur autorisée ou n'a pas le format attendu."),
                text,
            )
        else:
            self._batch_memo.update(self._pending_memo)
            self._pending_memo.clear()
            self.counters.count(status)

    def _reject(self, rejections: RejectionSpool, line_number: int, field: str, reason: str, text: str) -> None:
        self._pending_memo.clear()
        rejections.add(line_number, field, reason, text)
        self.counters.count_rejected()

    def describe_validation_error(self, exc: ValidationError) -> tuple[str, str]:
        """Name the source columns of a service ``ValidationError`` and join its French messages."""
        if not hasattr(exc, "error_dict"):
            return "", " ".join(exc.messages)
        labelled = [(self.field_labels.get(name, name), messages) for name, messages in exc.message_dict.items()]
        if len(labelled) == 1:
            label, messages = labelled[0]
            return label, " ".join(messages)
        reason = " ".join(f"{label} : {' '.join(messages)}" for label, messages in labelled)
        return ", ".join(label for label, _messages in labelled), reason


def finish(run: ImportRun, counters: Counters, *, error: str = "") -> None:
    run.processed_lines = counters.processed
    run.rejected_count = counters.rejected
    if error:
        # The data writes were rolled back: report that nothing was created or changed.
        run.status = ImportRun.Status.FAILED
        run.error = error
        run.created_count = run.updated_count = run.unchanged_count = 0
    else:
        run.status = ImportRun.Status.DONE
        run.created_count, run.updated_count, run.unchanged_count = counters.created, counters.updated, counters.unchanged
    run.finished_at = timezone.now()
    run.save()
