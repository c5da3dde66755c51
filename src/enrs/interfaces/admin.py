"""Back-office: agency staff configure HL7 senders and read the message journal.

The journal holds identity traits (personal data): it is read-only, shown to
superusers only, and kept for the investigation of feed problems.
"""

from __future__ import annotations

from django.contrib import admin

from enrs.interfaces.models import Hl7Sender, InboundMessage


@admin.register(Hl7Sender)
class Hl7SenderAdmin(admin.ModelAdmin):
    list_display = ("name", "sending_application", "sending_facility", "organisation", "authority", "active")
    list_filter = ("active",)
    search_fields = ("name", "sending_application", "sending_facility", "organisation__name")
    autocomplete_fields = ("organisation",)

    def has_delete_permission(self, request, obj=None):
        # Deactivate instead: the journal keeps pointing at its senders.
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ("received_at", "sender", "message_type", "control_id", "ack_code", "outcome")
    list_filter = ("ack_code", "message_type")
    search_fields = ("control_id",)
    readonly_fields = [field.name for field in InboundMessage._meta.fields]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
