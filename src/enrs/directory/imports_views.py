"""Import screens for agency staff. Placeholder until the importer work lands."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse


@staff_member_required
def import_list(request):
    return HttpResponse("")


import_upload = import_detail = import_progress = import_list
