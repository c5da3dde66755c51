"""Live progress of a running import, readable from another process.

The data writes of a run happen inside one transaction (a file is never
half-imported), so counters saved on the ``ImportRun`` row during the run
would stay invisible to the web process until the commit. The running
importer therefore also writes its counters to a small JSON file next to the
stored copy of the file (replaced atomically), and the progress page reads it
while the run is ``running``. The row gets the final counters at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from enrs.directory.models import ImportRun

COUNTER_FIELDS = ("processed", "created", "updated", "unchanged", "rejected")


def progress_path(run: ImportRun) -> Path | None:
    return Path(f"{run.stored_path}.progress.json") if run.stored_path else None


def write_progress(run: ImportRun, counters: dict[str, int]) -> None:
    path = progress_path(run)
    if path is None:
        return
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"total": run.total_lines, **counters}), encoding="utf-8")
    os.replace(temporary, path)


def clear_progress(run: ImportRun) -> None:
    path = progress_path(run)
    if path is not None:
        path.unlink(missing_ok=True)


def _read_progress(run: ImportRun) -> dict[str, int]:
    path = progress_path(run)
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {key: int(value) for key, value in data.items() if isinstance(value, int)}


def snapshot(run: ImportRun) -> dict[str, int]:
    """Counters of ``run`` as the screens show them: live while running, else as stored."""
    data = {
        "total": run.total_lines,
        "processed": run.processed_lines,
        "created": run.created_count,
        "updated": run.updated_count,
        "unchanged": run.unchanged_count,
        "rejected": run.rejected_count,
    }
    if run.status == ImportRun.Status.RUNNING:
        data.update({key: value for key, value in _read_progress(run).items() if key in data})
    data["ignored"] = max(
        0, data["processed"] - data["created"] - data["updated"] - data["unchanged"] - data["rejected"]
    )
    data["percent"] = min(100, int(100 * data["processed"] / data["total"])) if data["total"] else 0
    return data
