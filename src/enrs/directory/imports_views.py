"""Import screens for agency staff: upload, list, detail with live progress.

The upload stores the file and queues a django-tasks task; the detail page
polls the progress fragment every 2 seconds (htmx) while the run is pending or
running, then reloads itself once to show the rejected lines.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from enrs.directory import services, tasks
from enrs.directory.import_forms import ImportUploadForm
from enrs.directory.importers.progress import snapshot
from enrs.directory.models import ImportRun

RUNS_PER_PAGE = 25
REJECTIONS_PER_PAGE = 100
ACTIVE = (ImportRun.Status.PENDING, ImportRun.Status.RUNNING)


def staff_required(view):
    """Anonymous users go to the login page; signed-in users who are not agency staff get a 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied(_("Les imports de l'annuaire sont réservés à l'équipe de l'agence."))
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def import_list(request):
    runs = Paginator(ImportRun.objects.select_related("started_by"), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "directory/imports/list.html", {"runs": runs})


@staff_required
def import_upload(request):
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            run = services.start_import(
                kind=form.cleaned_data["kind"], file_name=upload.name, chunks=upload.chunks(), started_by=request.user
            )
            tasks.run_directory_import.enqueue(run.pk)
            messages.success(request, _("Fichier reçu : l'import n° %(id)s est lancé.") % {"id": run.pk})
            return redirect("directory:import_detail", pk=run.pk)
        return render(request, "directory/imports/upload.html", {"form": form}, status=400)
    return render(request, "directory/imports/upload.html", {"form": ImportUploadForm()})


def _progress_context(run: ImportRun) -> dict:
    return {"run": run, "counts": snapshot(run), "active": run.status in ACTIVE}


@staff_required
def import_detail(request, pk):
    run = get_object_or_404(ImportRun.objects.select_related("started_by"), pk=pk)
    rejections = Paginator(run.rejections.all(), REJECTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "directory/imports/detail.html", {**_progress_context(run), "rejections": rejections})


@staff_required
def import_progress(request, pk):
    run = get_object_or_404(ImportRun, pk=pk)
    response = render(request, "directory/imports/_progress.html", _progress_context(run))
    if getattr(request, "htmx", False) and run.status not in ACTIVE:
        # The run just ended: reload the page once to show its rejected lines.
        response["HX-Refresh"] = "true"
    return response
