"""Back-office: received RPU files and their reports (read-only).

Quarantined passages are personal health data and are not listed here: they are
shown on the observatory screens, through the permission API and the access trail.
"""

from django.contrib import admin

from enrs.observatory.models import RpuFile


@admin.register(RpuFile)
class RpuFileAdmin(admin.ModelAdmin):
    list_display = ("filename", "finess", "status", "records", "accepted", "quarantined", "first_day", "last_day", "received_at")
    list_filter = ("status", "channel")
    search_fields = ("finess", "filename")
    readonly_fields = tuple(f.name for f in RpuFile._meta.fields)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
