"""Reads of the observatory: files and reports a user may see, quarantined passages (traced)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from enrs.core import permissions
from enrs.observatory import rules
from enrs.observatory.models import QuarantinedRecord, RpuFile

QUARANTINE_PAGE_SIZE = 25


def may_use_observatory(user) -> bool:
    return rules.is_regional_analyst(user) or bool(rules.scoped_organisation_ids(user))


def visible_files(user) -> QuerySet[RpuFile]:
    return permissions.filter_allowed(user, "read", RpuFile.objects.select_related("organisation"))


def file_for(user, pk: int, *, request=None) -> RpuFile:
    rpu_file = get_object_or_404(RpuFile.objects.select_related("organisation"), pk=pk)
    permissions.require(user, "read", rpu_file, channel="web", request=request)
    return rpu_file


def quarantine_page(user, rpu_file: RpuFile, page: int, *, request=None):
    """One page of quarantined passages; each displayed passage is checked and recorded in the trail."""
    paginator = Paginator(rpu_file.quarantine.select_related("file").order_by("number"), QUARANTINE_PAGE_SIZE)
    page_obj = paginator.get_page(page)
    for item in page_obj.object_list:
        permissions.require(user, "read", item, channel="web", request=request)
    return page_obj


def quarantined_count(rpu_file: RpuFile) -> int:
    return QuarantinedRecord.objects.filter(file=rpu_file).count()
