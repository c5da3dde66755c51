"""Background tasks of the directory (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from enrs.directory import services


@task()
def run_directory_import(run_id: int) -> dict:
    """Run an import uploaded from the web; the page follows it through the ImportRun."""
    run = services.run_import(run_id)
    return {
        "run_id": run.pk,
        "status": run.status,
        "processed": run.processed_lines,
        "rejected": run.rejected_count,
    }
