"""Writes of the observatory: validating and ingesting RPU files.

One file = one establishment (its FINESS, which must be in the directory) and a
period of days. Ingesting a readable file *replaces* every stored passage of
that FINESS on those days (the daily file cancels and replaces the previous
one, reference §1.1), so sending the same file twice leaves the same state.
Accepted passages go to the analytical store; the file row, its quality report
and the quarantined passages go to the relational database, in one
transaction. The analytical replacement runs last inside that transaction: if
it fails, nothing relational is kept either; if the relational commit failed
after it (rare), re-sending the file repairs the state (idempotence).
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from enrs.directory.selectors import DirectoryFilters, search_organisations
from enrs.observatory import antibio
from enrs.observatory.models import (
    AntibioConsumption,
    AntibioImport,
    AntibioRejectedLine,
    AntibioResistance,
    QuarantinedRecord,
    RpuFile,
)
from enrs.observatory.processing import FileOutcome, process_stream
from enrs.observatory.rpu import RpuFileError
from enrs.observatory.store import AnalyticalStore, get_store

QUARANTINE_BATCH = 2_000


def organisation_for_finess(finess: str):
    """The active directory organisation with this FINESS, or None."""
    finess = (finess or "").strip().upper()
    if len(finess) != 9:
        return None
    return search_organisations(DirectoryFilters(query=finess)).filter(finess=finess).first()


@dataclass
class Checked:
    """A processed file and the directory organisation it was sent for."""

    outcome: FileOutcome
    organisation: object | None
    sha256: str
    size: int


def check_bytes(data: bytes, *, may_send: Callable[[object], bool] | None = None) -> Checked:
    """Parse and check a file; unknown FINESS (or one the sender may not send for) is a file error.

    ``may_send(organisation)`` says whether the sender (a user, a connector) may send for the
    establishment named in the file; None means no restriction (the CLI, the drop folder).
    """
    outcome = process_stream(io.BytesIO(data))
    organisation = None
    if outcome.file_error is None:
        organisation = organisation_for_finess(outcome.finess)
        if organisation is None:
            outcome.file_error = RpuFileError("finess_inconnu", _(
                "FINESS %(finess)s inconnu de l'annuaire : le fichier ne peut être rattaché à aucun établissement.") % {
                "finess": outcome.finess[:20]})
        elif may_send is not None and not may_send(organisation):
            outcome.file_error = RpuFileError("finess_non_autorise", _(
                "Vous ne pouvez pas envoyer de fichier pour le FINESS %(finess)s : il n'appartient pas à votre organisation.")
                % {"finess": outcome.finess})
        else:
            outcome = with_departement(outcome, organisation)
    return Checked(outcome, organisation if outcome.file_error is None else None, hashlib.sha256(data).hexdigest(), len(data))


def with_departement(outcome: FileOutcome, organisation) -> FileOutcome:
    """Stamp the establishment's département (from the directory) on the accepted rows."""
    table = outcome.accepted_table
    if table is not None and organisation.departement:
        import pyarrow as pa

        index = table.schema.get_field_index("departement")
        table = table.set_column(index, "departement", pa.array([organisation.departement] * table.num_rows, pa.string()))
        outcome.accepted_table = table
    return outcome


def report(outcome: FileOutcome) -> dict:
    """The per-file quality report, in the shape printed by ``enrs oru validate --json``."""
    errors = [error.as_dict() for error in outcome.errors]
    if outcome.file_error is not None:
        errors = [{"record": None, "field": None, "code": outcome.file_error.code, "message": outcome.file_error.message}]
    return {
        "finess": outcome.finess or None,
        "records": outcome.records,
        "accepted": outcome.accepted,
        "quarantined": len(outcome.quarantined),
        "errors": errors,
        "completeness": outcome.quality.completeness() if outcome.file_error is None else {},
        "conformity": outcome.quality.conformity() if outcome.file_error is None else {},
    }


def validate_bytes(data: bytes) -> dict:
    return report(check_bytes(data).outcome)


def validate_path(path: str | Path) -> dict:
    return validate_bytes(Path(path).read_bytes())


def ingest_bytes(
    data: bytes,
    *,
    filename: str,
    channel: str,
    user=None,
    connector=None,
    may_send: Callable[[object], bool] | None = None,
    store: AnalyticalStore | None = None,
) -> RpuFile:
    """Check then store one file; a refused file is recorded with its reason and stores nothing else."""
    checked = check_bytes(data, may_send=may_send)
    return store_checked(checked, filename=filename, channel=channel, user=user, connector=connector, store=store)


def ingest_path(path: str | Path, *, channel: str = RpuFile.Channel.CLI, user=None, store=None) -> RpuFile:
    path = Path(path)
    return ingest_bytes(path.read_bytes(), filename=path.name, channel=channel, user=user, store=store)


def store_checked(checked: Checked, *, filename: str, channel: str, user=None, connector=None, store=None) -> RpuFile:
    outcome = checked.outcome
    with transaction.atomic():
        rpu_file = _file_row(checked, filename=filename, channel=channel, user=user, connector=connector)
        if outcome.file_error is None:
            _replace_quarantine(rpu_file, outcome)
            period = outcome.period
            if period.first_day is not None:
                (store or get_store()).replace_days(outcome.finess, period.first_day, period.last_day, outcome.accepted_table)
    return rpu_file


def _file_row(checked: Checked, *, filename: str, channel: str, user, connector) -> RpuFile:
    outcome = checked.outcome
    error = outcome.file_error
    period = outcome.period if error is None else None
    return RpuFile.objects.create(
        finess=(outcome.finess or "")[:9],
        organisation=checked.organisation,
        filename=filename[:255],
        sha256=checked.sha256,
        size=checked.size,
        channel=channel,
        sent_by=user if getattr(user, "is_authenticated", False) else None,
        connector_name=getattr(connector, "name", "")[:120],
        status=RpuFile.Status.REJECTED if error else RpuFile.Status.ACCEPTED,
        error_code=error.code if error else "",
        error_message=error.message if error else "",
        first_day=period.first_day if period else None,
        last_day=period.last_day if period else None,
        records=0 if error else outcome.records,
        accepted=0 if error else outcome.accepted,
        quarantined=0 if error else len(outcome.quarantined),
        completeness=outcome.quality.completeness() if not error else {},
        conformity=outcome.quality.conformity() if not error else {},
        error_counts=dict(Counter(e.code for q in outcome.quarantined for e in q.errors)) if not error else {},
        unknown_tags=outcome.unknown_tags[:50],
    )


def _replace_quarantine(rpu_file: RpuFile, outcome: FileOutcome) -> None:
    """The new file's quarantine replaces the earlier quarantine of the same FINESS on the same days."""
    period = outcome.period
    if period.first_day is not None:
        QuarantinedRecord.objects.filter(
            finess=rpu_file.finess, day__gte=period.first_day, day__lte=period.last_day
        ).exclude(file=rpu_file).delete()
    rows = (
        QuarantinedRecord(
            file=rpu_file, finess=rpu_file.finess, number=item.number, day=item.day, fields=item.fields,
            errors=[{"field": e.field, "code": e.code, "message": str(e.message)} for e in item.errors],
        )
        for item in outcome.quarantined
    )
    QuarantinedRecord.objects.bulk_create(rows, batch_size=QUARANTINE_BATCH)


# --- Drop folder ----------------------------------------------------------------------------------
DONE_DIR = "done"
REJECTED_DIR = "rejected"


def _unique_target(directory: Path, name: str) -> Path:
    """Never overwrite an earlier file of the same name in done/ or rejected/."""
    target = directory / name
    counter = 1
    while target.exists():
        target = directory / f"{Path(name).stem}.{counter}{Path(name).suffix}"
        counter += 1
    return target


def process_drop_folder(directory: str | Path) -> list[RpuFile]:
    """Ingest every file waiting in ``directory`` once, then move it to done/ or rejected/.

    Rerunning is harmless: processed files have left the folder, and a file put back
    replaces the same days with the same content (idempotent).
    """
    directory = Path(directory)
    done, rejected = directory / DONE_DIR, directory / REJECTED_DIR
    done.mkdir(exist_ok=True)
    rejected.mkdir(exist_ok=True)
    results = []
    for path in sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")):
        rpu_file = ingest_bytes(path.read_bytes(), filename=path.name, channel=RpuFile.Channel.FOLDER)
        target_dir = done if rpu_file.status == RpuFile.Status.ACCEPTED else rejected
        path.rename(_unique_target(target_dir, path.name))
        results.append(rpu_file)
    return results


# --- NormAntiBio imports --------------------------------------------------------------------------
class AntibioNotAuthorised(Exception):
    """A line names an establishment the sender may not send for (API channel: the whole file is refused)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def import_antibio(data: bytes, *, filename: str, user=None, may_send: Callable[[object], bool] | None = None,
                   channel: str = RpuFile.Channel.WEB, refuse_unauthorised: bool = False) -> AntibioImport:
    """Check a NormAntiBio CSV file and store it in one transaction.

    With ``refuse_unauthorised`` (the connector API), a line naming an establishment the sender
    may not send for refuses the whole file: :class:`AntibioNotAuthorised` is raised and nothing
    is stored (not even the log line); the web form rejects such lines one by one instead.

    Accepted lines *replace* the stored figures of the same kind for every (FINESS, year) pair
    they name (re-sending a corrected file is idempotent); rejected lines are kept with their
    French reasons; a refused file (encoding, header…) is logged and changes nothing else.
    """
    organisations: dict[str, object] = {}

    def resolve(finess: str) -> tuple[str, str]:
        organisation = organisation_for_finess(finess)
        if organisation is None:
            return "finess_inconnu", _("FINESS inconnu de l'annuaire")
        if may_send is not None and not may_send(organisation):
            return "finess_non_autorise", _("vous ne pouvez pas envoyer de données pour cet établissement")
        organisations[finess] = organisation
        return "", ""

    outcome = antibio.read_csv(data, resolve)
    if refuse_unauthorised:
        for line in outcome.rejected:
            if any(error.code == "finess_non_autorise" for error in line.errors):
                raise AntibioNotAuthorised(
                    _("Ligne %(line)d : le FINESS %(finess)s n'appartient pas à votre organisation ; fichier refusé, rien n'a été enregistré.")
                    % {"line": line.number, "finess": line.fields.get("finess", "?")}
                )
    with transaction.atomic():
        senders = {organisations[line.values["finess"]].pk: organisations[line.values["finess"]] for line in outcome.accepted}
        source = AntibioImport.objects.create(
            kind=outcome.kind, filename=filename[:255], sha256=hashlib.sha256(data).hexdigest(), size=len(data),
            encoding=outcome.encoding, organisation=next(iter(senders.values())) if len(senders) == 1 else None,
            sent_by=user if getattr(user, "is_authenticated", False) else None,
            status=RpuFile.Status.REJECTED if outcome.file_error else RpuFile.Status.ACCEPTED, channel=channel,
            error_message=outcome.file_error, lines=0 if outcome.file_error else outcome.lines,
            accepted=0 if outcome.file_error else len(outcome.accepted),
            rejected=0 if outcome.file_error else len(outcome.rejected),
        )
        if not outcome.file_error:
            _store_antibio_lines(source, outcome, organisations)
    return source


def _store_antibio_lines(source: AntibioImport, outcome: antibio.CsvOutcome, organisations: dict) -> None:
    AntibioRejectedLine.objects.bulk_create(
        [AntibioRejectedLine(source=source, number=line.number, raw=line.raw[:2000], errors=[e.as_dict() for e in line.errors])
         for line in outcome.rejected], batch_size=QUARANTINE_BATCH,
    )
    model = AntibioConsumption if outcome.kind == antibio.CONSUMPTION else AntibioResistance
    pairs: dict[str, set[int]] = {}
    for line in outcome.accepted:
        pairs.setdefault(line.values["finess"], set()).add(line.values["annee"])
    for finess, years in pairs.items():
        model.objects.filter(finess=finess, year__in=years).delete()
    model.objects.bulk_create([_antibio_row(model, source, line, organisations) for line in outcome.accepted],
                              batch_size=QUARANTINE_BATCH)


def _antibio_row(model, source: AntibioImport, line: antibio.Line, organisations: dict):
    values = line.values
    common = {"source": source, "line": line.number, "organisation": organisations[values["finess"]],
              "finess": values["finess"], "year": values["annee"]}
    if model is AntibioConsumption:
        return model(**common, atc=values["atc"], ddd=values["ddj"], patient_days=values["journees_hospitalisation"])
    return model(**common, germ=values["germe"], antibiotic=values["antibiotique"], susceptible=values["sensibles"],
                 intermediate=values["intermediaires"], resistant=values["resistants"])
