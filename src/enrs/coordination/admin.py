"""Back office: pathway templates (agency staff edit the YAML; it is validated on save).

Records, documents and movements are personal health data: they are not in the
admin (no trail there); professionals use the coordination screens.
"""

from django.contrib import admin

from enrs.coordination.models import PathwayTemplate


@admin.register(PathwayTemplate)
class PathwayTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "active", "updated_at")
    list_filter = ("active",)
    readonly_fields = ("code", "name", "updated_at")
    fields = ("definition", "active", "code", "name", "updated_at")
